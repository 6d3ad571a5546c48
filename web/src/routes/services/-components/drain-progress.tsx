import { type DrainInstanceResponse, Phase } from "@langtian/proto";
import { type ReactNode, useEffect, useRef } from "react";
import { phaseName } from "../../../api/overview-figures.ts";
import { HealthBadge } from "../../../ui/health-badge.tsx";
import { describeError } from "../../../ui/query-state.tsx";
import type { DrainState } from "./use-drain.ts";

function countersText(counters: Record<string, number>): string {
  return Object.entries(counters)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(1)}`)
    .join(", ");
}

/** Consecutive steps that say the same thing, as one line with how many times. */
function collapse(steps: readonly DrainInstanceResponse[]) {
  const lines: { step: DrainInstanceResponse; times: number; key: string }[] = [];
  for (const step of steps) {
    const key = `${step.phase}|${step.detail}|${JSON.stringify(step.counters)}|${step.done}`;
    const last = lines.at(-1);
    if (last !== undefined && last.key === key) last.times++;
    else lines.push({ step, times: 1, key });
  }
  return lines;
}

/**
 * The drain under way or just finished: every progress message as a line of a log (announced
 * politely), its outcome, and for a refusal the server's reason with the way to force it.
 */
export function DrainProgress({
  state,
  canForce,
  onForce,
  onDismiss,
}: {
  state: DrainState;
  canForce: boolean;
  onForce: () => void;
  onDismiss: () => void;
}) {
  if (state.kind === "idle" || state.kind === "confirm") return null;
  if (state.kind === "refused" || state.kind === "confirm-force")
    return (
      <section
        className="panel drain-panel drain-refused"
        aria-labelledby="drain-title"
        data-testid="drain-panel"
      >
        <h2 id="drain-title">Drain of {state.instance} refused</h2>
        <p role="alert" className="drain-refusal">
          {state.message}
        </p>
        <p>
          Draining it anyway stops its stage until another instance is ready: events wait upstream meanwhile.
        </p>
        <div className="drain-actions">
          <button type="button" className="danger" onClick={onForce} disabled={!canForce}>
            Force drain…
          </button>
          <button type="button" onClick={onDismiss}>
            Close
          </button>
        </div>
      </section>
    );
  const steps = state.steps;
  const last = steps.at(-1);
  let outcome: ReactNode;
  if (state.kind === "running")
    outcome = (
      <HealthBadge health="warn" label={`Draining… ${last === undefined ? "" : phaseName(last.phase)}`} />
    );
  else if (state.kind === "failed")
    outcome = (
      <div role="alert">
        <HealthBadge health="bad" label={`Failed: ${describeError(state.error).title}`} />
        <div className="state-detail">{describeError(state.error).detail}</div>
      </div>
    );
  else if (state.deadlineExceeded)
    outcome = <HealthBadge health="warn" label="Deadline passed before the drain finished" />;
  else
    outcome = (
      <HealthBadge
        health="ok"
        label={`Done: ${last === undefined ? "drained" : `${phaseName(last.phase)}, ${last.detail}`}`}
      />
    );
  return (
    <section
      className="panel drain-panel"
      aria-labelledby="drain-title"
      aria-busy={state.kind === "running"}
      data-testid="drain-panel"
    >
      <h2 id="drain-title">
        Drain of {state.instance}
        {state.kind !== "failed" && state.force ? " (forced)" : ""}
      </h2>
      <div className="drain-outcome" role="status" data-testid="drain-outcome">
        {outcome}
      </div>
      <DrainLog steps={steps} running={state.kind === "running"} />
      {state.kind === "running" ? null : (
        <div className="drain-actions">
          <button type="button" onClick={onDismiss}>
            Close
          </button>
        </div>
      )}
    </section>
  );
}

/** The progress messages as a log, the newest kept in view. */
function DrainLog({ steps, running }: { steps: readonly DrainInstanceResponse[]; running: boolean }) {
  const ref = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const list = ref.current;
    if (list !== null && steps.length > 0) list.scrollTop = list.scrollHeight;
  }, [steps.length]);
  return (
    <ol ref={ref} className="drain-steps" role="log" aria-label="Drain progress" aria-live="polite">
      {collapse(steps).map(({ step, times }, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines are only ever appended
        <li key={index} className={step.phase === Phase.DRAINED ? "drained" : undefined}>
          <span className="drain-phase">{phaseName(step.phase)}</span> {step.detail}
          {Object.keys(step.counters).length === 0 ? null : (
            <span className="drain-counters"> · {countersText(step.counters)}</span>
          )}
          {times > 1 ? <span className="drain-counters"> (×{times})</span> : null}
        </li>
      ))}
      {steps.length === 0 && running ? <li>Asking the admin to drain…</li> : null}
    </ol>
  );
}
