import type { InstanceOverview } from "@langtian/proto";
import { Phase } from "@langtian/proto";
import { instanceHealth, phaseName } from "../../../api/overview-figures.ts";
import { formatAge, formatRate, timestampMs } from "../../../ui/format.ts";
import { HealthBadge } from "../../../ui/health-badge.tsx";

/** Why an instance cannot be drained now, or undefined when it can. */
export function drainBlocker(i: InstanceOverview, isOperator: boolean, busy: boolean): string | undefined {
  if (!isOperator) return "needs the operator role";
  if (busy) return "another drain is running";
  if (i.error !== "") return "unreachable";
  if (i.phase === Phase.DRAINED) return "already drained";
  return undefined;
}

/** Rates of the process rather than of the stage's work (CPU, RPC and HTTP calls, the runtime). */
const HOUSEKEEPING = /cpu|process|nodejs|heap|gc_|rpc_|http_|requests|scrape/;

/** The busiest rates of an instance's work, "produced 12/s", at most two. */
function mainRates(i: InstanceOverview): string {
  const entries = Object.entries(i.rates)
    .filter(([name]) => !HOUSEKEEPING.test(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 2);
  return entries.length === 0 ? "—" : entries.map(([k, v]) => `${k} ${formatRate(v)}/s`).join(", ");
}

/** Every instance: health, state, version, uptime, dependencies, rates, and its Drain button. */
export function InstancesTable({
  instances,
  nowMs,
  isOperator,
  busy,
  onDrain,
}: {
  instances: readonly InstanceOverview[];
  nowMs: number;
  isOperator: boolean;
  busy: boolean;
  onDrain: (name: string) => void;
}) {
  return (
    <table className="list services-table" aria-label="Instances">
      <thead>
        <tr>
          <th scope="col">Instance</th>
          <th scope="col">Stage</th>
          <th scope="col">Health</th>
          <th scope="col">State</th>
          <th scope="col">Version</th>
          <th scope="col">Uptime</th>
          <th scope="col">Dependencies</th>
          <th scope="col">Rates</th>
          <th scope="col">Drain</th>
        </tr>
      </thead>
      <tbody>
        {instances.map((i) => {
          const h = instanceHealth(i);
          const started = timestampMs(i.startedAt);
          const sick = i.dependencies.filter((d) => !d.healthy);
          const blocker = drainBlocker(i, isOperator, busy);
          return (
            <tr key={i.name} data-testid={`instance-${i.name}`}>
              <td>
                <strong>{i.name}</strong>
                <span className="endpoint">{i.endpoint}</span>
              </td>
              <td>{i.stage}</td>
              <td>
                <HealthBadge health={h.health} label={h.label} />
              </td>
              <td>{i.error === "" ? phaseName(i.phase) : "—"}</td>
              <td className="mono">{i.version || "—"}</td>
              <td>{started === undefined || started === 0 ? "—" : formatAge(nowMs - started)}</td>
              <td className="wrap">
                {i.error !== "" ? (
                  <span className="field-error">{i.error}</span>
                ) : sick.length > 0 ? (
                  <span className="field-error">{sick.map((d) => `${d.name}: ${d.detail}`).join("; ")}</span>
                ) : i.dependencies.length === 0 ? (
                  "—"
                ) : (
                  `${i.dependencies.map((d) => d.name).join(", ")} ok`
                )}
              </td>
              <td className="wrap">{mainRates(i)}</td>
              <td>
                <button
                  type="button"
                  disabled={blocker !== undefined}
                  title={blocker === undefined ? `Drain ${i.name}` : `Cannot drain: ${blocker}`}
                  aria-label={`Drain ${i.name}`}
                  aria-describedby={isOperator ? undefined : "drain-needs-operator"}
                  onClick={() => onDrain(i.name)}
                >
                  Drain
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
