import type { InstanceOverview } from "@langtian/proto";
import { createFileRoute, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { useIsOperator } from "../../api/use-auth.ts";
import { useOverview } from "../../api/use-overview.ts";
import { ConfirmDialog } from "../../ui/confirm-dialog.tsx";
import { Page } from "../../ui/page.tsx";
import { EmptyState, QueryView, useNow } from "../../ui/query-state.tsx";
import { searchParser, text, verbatimText } from "../../ui/search-params.ts";
import { StreamStatus } from "../-overview/overview-body.tsx";
import { DrainProgress } from "./-components/drain-progress.tsx";
import { InstancesTable } from "./-components/instances-table.tsx";
import { useDrain } from "./-components/use-drain.ts";
import "./-components/services.css";

/** The Services page's view in the URL: a stage, and text the instance's name contains. */
export interface ServicesSearch {
  readonly stage?: string | undefined;
  readonly q?: string | undefined;
}

export const Route = createFileRoute("/services/")({
  // The name filter is an input bound to the URL: kept as typed, so its spaces survive typing.
  validateSearch: searchParser<ServicesSearch>({ stage: text, q: verbatimText }),
  component: ServicesPage,
});

/** Deadlines offered for a drain (the instance's in-flight work must finish within it). */
const DEADLINES = [
  { ms: 30_000, label: "30 s" },
  { ms: 60_000, label: "1 min" },
  { ms: 120_000, label: "2 min" },
  { ms: 300_000, label: "5 min" },
] as const;

/** Every instance with its health and state; operators drain them from here. */
function ServicesPage() {
  const search = Route.useSearch();
  const navigate = useNavigate({ from: "/services/" });
  const { query, stream } = useOverview();
  const isOperator = useIsOperator();
  const drain = useDrain();
  const [deadlineMs, setDeadlineMs] = useState(60_000);
  const now = useNow(5000);
  const state = drain.state;
  const busy = state.kind === "running";
  const setSearch = (next: ServicesSearch) => void navigate({ search: next, replace: true });

  const filter = (all: readonly InstanceOverview[]) =>
    all.filter(
      (i) =>
        (search.stage === undefined || i.stage === search.stage) &&
        (search.q === undefined || i.name.toLowerCase().includes(search.q.toLowerCase())),
    );

  return (
    <Page title="Services" actions={<StreamStatus stream={stream} />}>
      {isOperator ? null : (
        <p className="services-note" id="drain-needs-operator" role="note">
          Draining needs the operator role; you are logged in as a viewer, so Drain is disabled.
        </p>
      )}
      <DrainProgress state={state} canForce={isOperator} onForce={drain.askForce} onDismiss={drain.dismiss} />
      <QueryView
        query={query}
        loadingLabel="Reading the instances…"
        isEmpty={(data) => (data.overview?.instances.length ?? 0) === 0}
        empty={
          <EmptyState title="No instances">
            The admin's configuration lists no instance (deployment.instances).
          </EmptyState>
        }
      >
        {(data) => {
          const all = data.overview?.instances ?? [];
          const stages = [...new Set(all.map((i) => i.stage))];
          const shown = filter(all);
          return (
            <>
              <div className="toolbar">
                <label>
                  Stage
                  <select
                    value={search.stage ?? ""}
                    onChange={(e) => setSearch({ ...search, stage: e.target.value || undefined })}
                  >
                    <option value="">Every stage</option>
                    {stages.map((s) => (
                      <option key={s} value={s}>
                        {s}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  Name contains
                  <input
                    type="search"
                    value={search.q ?? ""}
                    onChange={(e) => setSearch({ ...search, q: e.target.value || undefined })}
                  />
                </label>
                <span className="services-note" aria-live="polite">
                  {shown.length} of {all.length} instances
                </span>
              </div>
              {shown.length === 0 ? (
                <EmptyState title="No instance matches">
                  <button type="button" onClick={() => setSearch({})}>
                    Clear the filters
                  </button>
                </EmptyState>
              ) : (
                <InstancesTable
                  instances={shown}
                  nowMs={now}
                  isOperator={isOperator}
                  busy={busy}
                  onDrain={drain.ask}
                />
              )}
            </>
          );
        }}
      </QueryView>
      {/* One dialog for both confirmations (its title id is fixed): the drain, then forcing it. */}
      <ConfirmDialog
        open={state.kind === "confirm" || state.kind === "confirm-force"}
        title={
          state.kind === "confirm-force"
            ? `Force the drain of ${state.instance}?`
            : `Drain ${state.kind === "confirm" ? state.instance : ""}?`
        }
        confirmLabel={state.kind === "confirm-force" ? "Force drain" : "Drain"}
        danger
        onCancel={drain.cancel}
        onConfirm={() => {
          if (state.kind === "confirm") drain.start(state.instance, false, deadlineMs);
          else if (state.kind === "confirm-force") drain.start(state.instance, true, deadlineMs);
        }}
      >
        {state.kind === "confirm-force" ? (
          <p>
            <strong>{state.instance} is the last ready instance of its stage.</strong> Draining it stops the
            stage: nothing flows past it until another instance is started.
          </p>
        ) : (
          <>
            <p>
              It stops taking new work and finishes what is in flight; its stage's other instances take over.
              It stays drained until it is restarted.
            </p>
            <label className="drain-deadline">
              Give up waiting after
              <select value={deadlineMs} onChange={(e) => setDeadlineMs(Number(e.target.value))}>
                {DEADLINES.map((d) => (
                  <option key={d.ms} value={d.ms}>
                    {d.label}
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
      </ConfirmDialog>
    </Page>
  );
}
