import type { Overview } from "@langtian/proto";
import { Link } from "@tanstack/react-router";
import type { ReactNode } from "react";
import { HISTORY_MS, instanceHealth, type OverviewSample, SampleField } from "../../api/overview-figures.ts";
import type { OverviewStream } from "../../api/use-overview.ts";
import { formatCount, formatRate } from "../../ui/format.ts";
import { HealthBadge } from "../../ui/health-badge.tsx";
import { LineChart } from "../../ui/line-chart.tsx";
import { describeError, useNow } from "../../ui/query-state.tsx";
import { PipelineGraph } from "./pipeline-graph.tsx";
import { pipelineNodes } from "./pipeline-nodes.ts";

type Field = (typeof SampleField)[keyof typeof SampleField];

function pointsOf(history: readonly OverviewSample[], field: Field): [number, number][] {
  return history.map((s) => [s[SampleField.time], s[field]]);
}

/** Seconds a record now entering Kafka waits for the lake, at the current write rate. */
function backlogSeconds(s: OverviewSample): number {
  const lag = s[SampleField.lakeLag];
  const rate = s[SampleField.lakeIn];
  if (lag === 0) return 0;
  return rate > 0 ? lag / rate : Math.max(0, s[SampleField.freshness]);
}

const formatSeconds = (v: number) =>
  v < 10 ? `${v.toFixed(1).replace(/\.0$/, "")} s` : `${Math.round(v)} s`;

/** The graph, the last hour's charts and what is wrong now. */
export function OverviewBody({
  overview,
  history,
  windowMs = HISTORY_MS,
  rangePicker,
}: {
  overview: Overview;
  history: readonly OverviewSample[];
  /** How far back the charts look (at most the history's hour). */
  windowMs?: number;
  /** Where the user picks the range, shown above the charts. */
  rangePicker?: ReactNode;
}) {
  const now = useNow(5000);
  const nodes = pipelineNodes(overview, history.at(-1));
  const chartNow = Math.max(now, history.at(-1)?.[SampleField.time] ?? 0);
  return (
    <>
      <PipelineGraph nodes={nodes} />
      {rangePicker}
      <div className="overview-charts">
        <LineChart
          title="Throughput (events/s)"
          nowMs={chartNow}
          windowMs={windowMs}
          format={formatRate}
          series={[
            {
              label: "Collector in",
              color: "var(--accent)",
              points: pointsOf(history, SampleField.collectorIn),
            },
            { label: "Bridge out", color: "#a371f7", points: pointsOf(history, SampleField.bridgeOut) },
            { label: "Kafka", color: "var(--warn)", points: pointsOf(history, SampleField.kafkaIn) },
            { label: "Lake", color: "var(--ok)", points: pointsOf(history, SampleField.lakeIn) },
          ]}
        />
        <LineChart
          title="Latency to the lake (s)"
          nowMs={chartNow}
          windowMs={windowMs}
          format={formatSeconds}
          series={[
            {
              label: "Backlog",
              color: "var(--accent)",
              points: history.map((s) => [s[SampleField.time], backlogSeconds(s)]),
            },
            {
              label: "Since the last commit",
              color: "var(--warn)",
              points: history
                .filter((s) => s[SampleField.freshness] >= 0)
                .map((s) => [s[SampleField.time], s[SampleField.freshness]]),
            },
          ]}
        />
        <LineChart
          title="Lake lag (records)"
          nowMs={chartNow}
          windowMs={windowMs}
          format={(v) => formatCount(Math.round(v))}
          series={[
            {
              label: "Not yet in the lake",
              color: "var(--bad)",
              points: pointsOf(history, SampleField.lakeLag),
            },
          ]}
        />
      </div>
      {history.length < 2 ? (
        <p className="overview-note">
          The charts fill in as the overview streams (kept in this browser for an hour).
        </p>
      ) : null}
      <Problems overview={overview} />
    </>
  );
}

function Problems({ overview }: { overview: Overview }) {
  const items: { key: string; text: string; instance?: string }[] = [];
  for (const i of overview.instances) {
    const h = instanceHealth(i);
    if (h.health === "ok") {
      for (const d of i.dependencies.filter((dep) => !dep.healthy))
        items.push({
          key: `${i.name}/${d.name}`,
          text: `${i.name}: ${d.name} ${d.detail}`,
          instance: i.name,
        });
      continue;
    }
    items.push({
      key: i.name,
      text: `${i.name} (${i.stage}): ${h.label}${i.error === "" ? "" : ` — ${i.error}`}`,
      instance: i.name,
    });
  }
  for (const s of overview.streams)
    if (s.error !== "") items.push({ key: `stream/${s.name}`, text: `Stream ${s.name}: ${s.error}` });
  for (const t of overview.topics)
    if (t.error !== "") items.push({ key: `topic/${t.name}`, text: `Topic ${t.name}: ${t.error}` });
  if (overview.lake !== undefined && overview.lake.error !== "")
    items.push({ key: "lake", text: `Lake: ${overview.lake.error}` });
  return (
    <section className="panel overview-problems" aria-labelledby="problems-title">
      <h2 id="problems-title">Problems</h2>
      {items.length === 0 ? (
        <HealthBadge health="ok" label="None: every part answers and every instance is ready" />
      ) : (
        <ul>
          {items.map((item) => (
            <li key={item.key}>
              {item.text}
              {item.instance === undefined ? null : (
                <>
                  {" "}
                  <Link to="/services" search={{ q: item.instance }}>
                    Services
                  </Link>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * Whether the overview is live, and when not, why and when it tries again. Only that state is
 * announced (live, connecting, not live); the age of the last overview ticks every second beside
 * it, outside the live region.
 */
export function StreamStatus({ stream }: { stream: OverviewStream }) {
  const now = useNow(1000);
  let text: string;
  let health: "ok" | "warn" | "unknown" = "unknown";
  if (stream.state === "live") {
    health = "ok";
    text = "Live";
  } else if (stream.state === "connecting") text = "Connecting…";
  else {
    health = "warn";
    text = `Not live: ${describeError(stream.error).title.toLowerCase()}; retrying`;
  }
  return (
    <span className="stream-status" data-testid="stream-status">
      <span role="status" data-testid="stream-state">
        <HealthBadge health={health} label={text} />
      </span>
      {stream.state === "live" ? (
        <span className="stream-age"> · {Math.max(0, Math.round((now - stream.atMs) / 1000))} s ago</span>
      ) : null}
    </span>
  );
}
