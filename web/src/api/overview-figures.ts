import type { InstanceOverview, Overview } from "@langtian/proto";
import { Phase } from "@langtian/proto";
import { timestampMs } from "../ui/format.ts";

/** How healthy a part of the pipeline is; drives the colours and the words beside them. */
export const Health = {
  ok: "ok",
  warn: "warn",
  bad: "bad",
  unknown: "unknown",
} as const;
/** One of {@link Health}. */
export type Health = (typeof Health)[keyof typeof Health];

/** The words shown beside a health colour (colour is never the only sign). */
export const HEALTH_LABEL: Readonly<Record<Health, string>> = {
  ok: "healthy",
  warn: "degraded",
  bad: "down",
  unknown: "unknown",
};

/** One instance's health and why, in words. */
export interface InstanceHealth {
  readonly health: Health;
  readonly label: string;
}

/**
 * An instance's health: unreachable or not live is down; draining, drained, starting or not
 * ready (a dependency away) is degraded; ready and running is healthy.
 */
export function instanceHealth(i: InstanceOverview): InstanceHealth {
  if (i.error !== "") return { health: Health.bad, label: "unreachable" };
  if (!i.live) return { health: Health.bad, label: "not live" };
  if (i.phase === Phase.DRAINING) return { health: Health.warn, label: "draining" };
  if (i.phase === Phase.DRAINED) return { health: Health.warn, label: "drained" };
  if (i.phase === Phase.STARTING) return { health: Health.warn, label: "starting" };
  if (!i.ready) return { health: Health.warn, label: "not ready" };
  return { health: Health.ok, label: "healthy" };
}

/** Lower-case phase name ("running"), "—" when unknown. */
export function phaseName(phase: Phase): string {
  return phase === Phase.UNSPECIFIED ? "—" : (Phase[phase] ?? "—").toLowerCase();
}

/** A stage's health from its instances: every one healthy, some, or none ready. */
export function stageHealth(instances: readonly InstanceOverview[]): Health {
  if (instances.length === 0) return Health.unknown;
  const levels = instances.map((i) => instanceHealth(i).health);
  if (levels.every((h) => h === Health.ok)) return Health.ok;
  if (instances.some((i) => i.error === "" && i.ready && i.phase === Phase.RUNNING)) return Health.warn;
  return Health.bad;
}

/** Sum of a rate (per second) over instances, trying the names in order on each. */
export function sumRate(instances: readonly InstanceOverview[], ...names: string[]): number {
  let total = 0;
  for (const i of instances) {
    const name = names.find((n) => i.rates[n] !== undefined);
    if (name !== undefined) total += i.rates[name] ?? 0;
  }
  return total;
}

/** Sum of every error counter's total over instances. */
export function sumErrors(instances: readonly InstanceOverview[]): number {
  let total = 0;
  for (const i of instances) for (const v of Object.values(i.errors)) total += v;
  return total;
}

/** The instances of one stage. */
export function ofStage(overview: Overview, stage: string): InstanceOverview[] {
  return overview.instances.filter((i) => i.stage === stage);
}

/** Records in Kafka not yet committed to the lake (the lake's true lag), over every partition read. */
export function lakeLag(overview: Overview): number {
  let total = 0;
  for (const t of overview.topics)
    for (const p of t.partitions) if (p.lakeLag > 0n) total += Number(p.lakeLag);
  return total;
}

/** Sum of the Kafka topics' end offsets (records ever written). */
export function kafkaEndOffsets(overview: Overview): number {
  let total = 0;
  for (const t of overview.topics) for (const p of t.partitions) total += Number(p.endOffset);
  return total;
}

/** Messages delivered to no consumer yet, over every JetStream consumer (the bridges' lag). */
export function natsPending(overview: Overview): number {
  let total = 0;
  for (const s of overview.streams) for (const c of s.consumers) total += Number(c.pending + c.ackPending);
  return total;
}

/** Seconds between the overview and the lake's last commit; undefined before any commit. */
export function lakeFreshnessSeconds(overview: Overview): number | undefined {
  const at = timestampMs(overview.time);
  const last = timestampMs(overview.lake?.lastCommitTime);
  if (at === undefined || last === undefined || last === 0) return undefined;
  return Math.max(0, (at - last) / 1000);
}

/**
 * One point of the overview's charts. Compact (a tuple) because an hour of them is kept, and
 * written to the offline cache.
 * [time ms, collector in /s, bridge out /s, Kafka written /s, lake written /s, lake lag, lake freshness s (-1 = none)]
 */
export type OverviewSample = readonly [number, number, number, number, number, number, number];

/** Named fields of an {@link OverviewSample}. */
export const SampleField = {
  time: 0,
  collectorIn: 1,
  bridgeOut: 2,
  kafkaIn: 3,
  lakeIn: 4,
  lakeLag: 5,
  freshness: 6,
} as const;

/** How long the charts look back. */
export const HISTORY_MS = 60 * 60 * 1000;

/**
 * The sample of one overview; Kafka's write rate comes from the end offsets' growth since the
 * previous overview (the admin reports offsets, not rates).
 */
export function sampleOf(
  overview: Overview,
  previous: Overview | undefined,
  atMs = Date.now(),
): OverviewSample {
  const t = timestampMs(overview.time) || atMs;
  let kafkaIn = 0;
  if (previous !== undefined) {
    const dt = (t - (timestampMs(previous.time) || t)) / 1000;
    if (dt > 0) kafkaIn = Math.max(0, (kafkaEndOffsets(overview) - kafkaEndOffsets(previous)) / dt);
  }
  return [
    t,
    sumRate(ofStage(overview, "collector"), "events_decoded", "datagrams_received", "published"),
    sumRate(ofStage(overview, "bridge"), "produced", "acked", "consumed"),
    kafkaIn,
    sumRate(ofStage(overview, "lake-writer"), "rows_written"),
    lakeLag(overview),
    lakeFreshnessSeconds(overview) ?? -1,
  ];
}

/** `history` with `sample` appended, the samples older than the window dropped (a ring by time). */
export function appendSample(
  history: readonly OverviewSample[],
  sample: OverviewSample,
  windowMs = HISTORY_MS,
): OverviewSample[] {
  const from = sample[0] - windowMs;
  const kept = history.filter((s) => s[0] >= from && s[0] < sample[0]);
  kept.push(sample);
  return kept;
}
