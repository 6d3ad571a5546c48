import { setTimeout as sleep } from "node:timers/promises";
import { runSimulator, type SimulatorReport } from "@langtian/collector";
import type { ProcessExit } from "@langtian/testing";
import { connect } from "@nats-io/transport-node";
import { readStreamEventIds } from "./accepted-events.ts";
import { type FailedStep, type FaultStep, formatSchedule, runSchedule } from "./fault-schedule.ts";
import { udpClosedMs } from "./fault-steps.ts";
import type { KafkaCopies } from "./kafka-copies.ts";
import { countLakeEvents, type LakeContents, readLakeContents } from "./lake-contents.ts";
import { formatObservation, type Observation, observe } from "./observe.ts";
import {
  type Pipeline,
  type PipelineSource,
  type PipelineTopology,
  startPipeline,
  TELEMETRY_TABLE,
} from "./pipeline.ts";
import { createTimeline, type Timeline } from "./timeline.ts";

/** What a chaos run feeds, which pipeline it runs, and which faults it injects when. */
export interface ChaosPlan {
  /** Prefix of every printed line. */
  readonly name: string;
  readonly source: PipelineSource;
  /** How many NATS nodes and Kafka brokers (one of each when omitted). */
  readonly topology?: PipelineTopology;
  /** Device frames sent over UDP to the collector, at `ratePerSec`, from `devices` devices. */
  readonly events: number;
  readonly ratePerSec: number;
  readonly devices: number;
  /** The fault schedule, built once the pipeline runs (times are ms after the feed started). */
  readonly faults: (pipeline: Pipeline, timeline: Timeline) => FaultStep[];
  /** Longest wait, after the feed and the faults ended, for the pipeline to catch up. */
  readonly catchUpTimeoutMs: number;
}

/**
 * The feed both chaos tests run: 140,000 device frames at 2,000/s from 50 devices (70 s of
 * faults), then up to 4 minutes to catch up.
 */
export const STANDARD_FEED = {
  events: 140_000,
  ratePerSec: 2_000,
  devices: 50,
  catchUpTimeoutMs: 240_000,
} as const satisfies Pick<ChaosPlan, "events" | "ratePerSec" | "devices" | "catchUpTimeoutMs">;

/**
 * The feed of the `--ha` chaos tests: 240,000 device frames at 2,500/s from 50 devices (96 s;
 * faults in the first 80), then up to 4 minutes to catch up. More than 200,000 so that at
 * least that many are accepted although the collector's port is closed while it restarts.
 */
export const HA_FEED = {
  events: 240_000,
  ratePerSec: 2_500,
  devices: 50,
  catchUpTimeoutMs: 240_000,
} as const satisfies Pick<ChaosPlan, "events" | "ratePerSec" | "devices" | "catchUpTimeoutMs">;

/** A chaos test's timeout: pipeline start, the feed, the catch-up and reading the results. */
export const CHAOS_TEST_TIMEOUT_MS = 540_000;

/** Everything a chaos run saw, for assertions and the printed report. */
export interface ChaosResult {
  readonly timeline: Timeline;
  readonly failedSteps: readonly FailedStep[];
  /** Whether the lake held every accepted event (and nothing was left anywhere) before the catch-up timeout. */
  readonly caughtUp: boolean;
  readonly simulator: SimulatorReport;
  /** The last observation before the services were stopped. */
  readonly final: Observation;
  /** Every event id in the stream: the accepted events. */
  readonly streamIds: readonly string[];
  readonly lake: LakeContents;
  /** Present with the Kafka source. */
  readonly kafka: KafkaCopies | undefined;
  /** Accepted event ids the lake does not hold. */
  readonly missing: readonly string[];
  /** Event ids in the lake that were never accepted. */
  readonly unexpected: readonly string[];
  /** Event ids whose copies in Kafka are in more than one partition (Kafka source). */
  readonly inSeveralPartitions: readonly string[];
  /** Each lake writer's `/readyz` status at the end, before it was stopped. */
  readonly lakeWriterReadiness: readonly string[];
  /** How each lake writer ended on SIGTERM (a drain), by name. */
  readonly lakeWriterExits: ReadonlyMap<string, ProcessExit | undefined>;
  /**
   * Datagrams sent while the collector's UDP port was closed (drained and restarting), from
   * the feed's steady rate: lost before anything could accept them. An upper bound: the span
   * ends when the restarted collector answers its health check, a little after it bound UDP.
   */
  readonly sentWhileClosed: number;
  /** The services' log tails, for a failure message. */
  readonly logTails: string;
  readonly report: string;
}

/**
 * Runs one chaos experiment: starts the pipeline, feeds device frames over UDP at a steady
 * rate while the fault schedule runs, waits (bounded, with progress lines) until the lake
 * holds every accepted event or stops growing, stops the services (lake writers with SIGTERM, so they drain), then reads what
 * the stream, Kafka and the lake hold. Servers and temp folders are gone when it returns or
 * throws.
 */
export async function runChaos(plan: ChaosPlan): Promise<ChaosResult> {
  const timeline = createTimeline(plan.name);
  const pipeline = await startPipeline(plan.source, timeline, plan.topology);
  const nc = await connect({
    servers: pipeline.natsUrl.split(","),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  try {
    const steps = plan.faults(pipeline, timeline);
    timeline.log(
      `feeding ${plan.events} device frames at ${plan.ratePerSec}/s; fault schedule (ms after feed start):\n${formatSchedule(steps)}`,
    );
    timeline.start();
    let feeding = true;
    const progress = (async () => {
      while (feeding) {
        await sleep(5_000);
        const now = feeding ? await observe(pipeline, nc).catch(() => undefined) : undefined;
        if (now) timeline.log(formatObservation(now));
      }
    })();
    let simulator: SimulatorReport;
    let failedSteps: FailedStep[];
    try {
      [simulator, failedSteps] = await Promise.all([
        runSimulator({
          host: "127.0.0.1",
          port: pipeline.udpPort,
          format: "device-frame",
          count: plan.events,
          ratePerSec: plan.ratePerSec,
          devices: plan.devices,
          seed: 1,
        }).then((report) => {
          timeline.log(`feed done: ${JSON.stringify(report)}`);
          return report;
        }),
        runSchedule(steps, timeline),
      ]);
    } finally {
      // Also when the feed failed: the loop must not outlive the run.
      feeding = false;
      await progress;
    }
    const caughtUp = await waitUntilCaughtUp(pipeline, nc, timeline, plan.catchUpTimeoutMs);
    const final = await observe(pipeline, nc);
    timeline.log(`final: ${formatObservation(final)}`);

    const lakeWriterReadiness = await Promise.all(
      pipeline.lakeWriters.map(async (w) => `${w.name}: ${await readiness(w.current()?.url)}`),
    );
    const lakeWriterExits = new Map<string, ProcessExit | undefined>();
    for (const writer of pipeline.lakeWriters) lakeWriterExits.set(writer.name, await writer.stop());
    for (const service of pipeline.services().reverse()) await service.stop();
    const logTails = pipeline
      .services()
      .map((s) => `--- ${s.name} (log tail) ---\n${s.logTail(15)}`)
      .join("\n");
    for (const [name, exit] of lakeWriterExits) {
      if (exit && exit.code !== 0) {
        const tail = pipeline.lakeWriters.find((w) => w.name === name)?.logTail(8);
        timeline.log(`${name} exited with ${exit.code ?? exit.signal} on SIGTERM; its log ends:\n${tail}`);
      }
    }

    const streamIds = await readStreamEventIds(nc, pipeline.names.stream);
    timeline.log(`stream holds ${streamIds.length} event ids`);
    // Loaded only with Kafka: the JetStream run must not depend on the bridge package.
    const kafka = pipeline.kafka
      ? await (await import("./kafka-copies.ts")).readKafkaCopies(
          pipeline.kafka.bootstrap,
          pipeline.names.topic,
          120_000,
        )
      : undefined;
    if (kafka) timeline.log(`kafka holds ${kafka.records} records of ${kafka.copiesOf.size} event ids`);
    const lake = await readLakeContents(pipeline.lake.catalogPath, pipeline.lake.dataPath, TELEMETRY_TABLE);
    timeline.log(`lake holds ${lake.rows} rows of ${lake.distinctIds} event ids`);
    const accepted = new Set(streamIds);
    const missing = streamIds.filter((id) => !lake.ids.has(id));
    const unexpected = [...lake.ids].filter((id) => !accepted.has(id));
    const inSeveralPartitions = kafka
      ? [...kafka.partitionsOf].filter(([, partitions]) => partitions.size > 1).map(([id]) => id)
      : [];
    const closedMs = udpClosedMs(timeline.entries, simulator.durationMs);
    const sentWhileClosed =
      simulator.durationMs > 0 ? Math.round((simulator.sent * closedMs) / simulator.durationMs) : 0;
    const result = {
      sentWhileClosed,
      lakeWriterReadiness,
      inSeveralPartitions,
      timeline,
      failedSteps,
      caughtUp,
      simulator,
      final,
      streamIds,
      lake,
      kafka,
      missing,
      unexpected,
      lakeWriterExits,
      logTails,
    };
    const report = formatReport(plan, result);
    process.stdout.write(`${report}\n`);
    return { ...result, report };
  } finally {
    await nc.close().catch(() => undefined);
    await pipeline.stop();
  }
}

/**
 * Polls every 3 s until the pipeline is done: the collector's spool is empty and the stream
 * holds every accepted event, the bridges have nothing pending, every lake writer is up, and
 * the lake itself (read through DuckDB, not the writers' metrics, which a stuck writer can
 * get wrong) holds as many distinct event ids as were accepted, with no row added since the
 * last poll. Resolves false after `timeoutMs`, or once the lake gained no row for
 * `stallMs` (the report then tells where it stood).
 */
async function waitUntilCaughtUp(
  pipeline: Pipeline,
  nc: Awaited<ReturnType<typeof connect>>,
  timeline: Timeline,
  timeoutMs: number,
): Promise<boolean> {
  const stallMs = 60_000;
  const deadline = Date.now() + timeoutMs;
  let previousRows: number | undefined;
  let lastGrowth = Date.now();
  timeline.log(`waiting up to ${timeoutMs / 1000} s for the pipeline to catch up`);
  for (;;) {
    const [now, lake] = await Promise.all([
      observe(pipeline, nc),
      countLakeEvents(pipeline.lake.catalogPath, pipeline.lake.dataPath, TELEMETRY_TABLE),
    ]);
    const done =
      now.spoolDepth === 0 &&
      now.accepted !== undefined &&
      now.streamMessages === now.accepted &&
      (pipeline.bridges.length === 0 || now.bridgePending === 0) &&
      now.lakeWritersUp === pipeline.lakeWriters.length &&
      lake !== undefined &&
      lake.distinctIds === now.accepted &&
      lake.rows === previousRows;
    const lakeText = lake ? `lake rows ${lake.rows}, distinct ${lake.distinctIds}` : "lake ?";
    timeline.log(`catch-up: ${formatObservation(now)} | ${lakeText}${done ? " | done" : ""}`);
    if (done) return true;
    if (lake !== undefined && lake.rows !== previousRows) {
      previousRows = lake.rows;
      lastGrowth = Date.now();
    }
    if (Date.now() - lastGrowth > stallMs) {
      timeline.log(`the lake gained no row for ${stallMs / 1000} s: stalled`);
      return false;
    }
    if (Date.now() > deadline) return false;
    await sleep(3_000);
  }
}

function formatReport(plan: ChaosPlan, r: Omit<ChaosResult, "report">): string {
  const o = r.final;
  const lines = [
    `===== ${plan.name}: faults and events (ms after feed start) =====`,
    r.timeline.format(),
    `===== ${plan.name}: final counts =====`,
    `datagrams sent                    ${r.simulator.sent} (${r.simulator.durationMs} ms)`,
    `sent while the collector was drained or restarting (at most) ${r.sentWhileClosed}`,
    `accepted (collector metrics)      ${o.accepted ?? "?"}`,
    `event ids in the stream           ${r.streamIds.length}`,
    ...(r.kafka
      ? [
          `records in Kafka                  ${r.kafka.records}`,
          `event ids in Kafka                ${r.kafka.copiesOf.size}`,
          `extra copies in Kafka (resends)   ${r.kafka.records - r.kafka.copiesOf.size}`,
          `ids in more than one partition    ${r.inSeveralPartitions.length}${sample(r.inSeveralPartitions)}`,
          `missing in the lake and in Kafka  ${r.missing.filter((id) => !r.kafka?.copiesOf.has(id)).length}`,
          `missing in the lake, by Kafka partition ${byPartition(r.missing, r.kafka)}`,
        ]
      : []),
    `rows in the lake                  ${r.lake.rows}`,
    `distinct event ids in the lake    ${r.lake.distinctIds}`,
    `missing (accepted, not in lake)   ${r.missing.length}${sample(r.missing)}`,
    `unexpected (in lake, not accepted) ${r.unexpected.length}${sample(r.unexpected)}`,
    `duplicate rows in the lake        ${r.lake.rows - r.lake.distinctIds}${r.lake.duplicateSamples.length ? `: ${r.lake.duplicateSamples.join("; ")}` : ""}`,
    `duplicates dropped (writers' metrics, last scrape per process) ${o.duplicatesDropped ?? "metric absent"}`,
    `dead letters: lake table ${r.lake.deadLetters}, writers' metrics ${o.deadLetters}`,
    `commit failures (writers' metrics) ${o.commitFailures}`,
    `caught up before the timeout      ${r.caughtUp}`,
    `lake writers' /readyz at the end  ${r.lakeWriterReadiness.join(", ")}`,
    `lake writers on SIGTERM           ${[...r.lakeWriterExits].map(([n, e]) => `${n}: ${e ? (e.code ?? e.signal) : "not running"}`).join(", ")}`,
    `fault steps that failed           ${r.failedSteps.length}${r.failedSteps.map((f) => `\n  ${f.step.what}: ${String(f.error)}`).join("")}`,
  ];
  return lines.join("\n");
}

function sample(ids: readonly string[]): string {
  return ids.length === 0 ? "" : ` (e.g. ${ids.slice(0, 5).join(", ")})`;
}

function byPartition(ids: readonly string[], kafka: KafkaCopies): string {
  const counts = new Map<string, number>();
  for (const id of ids) {
    const key = [...(kafka.partitionsOf.get(id) ?? [])].join("+") || "none";
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return (
    [...counts]
      .sort()
      .map(([p, n]) => `p${p}: ${n}`)
      .join(", ") || "-"
  );
}

/** The HTTP status of `<url>/readyz`, or why there is none. */
async function readiness(url: string | undefined): Promise<string> {
  if (!url) return "not running";
  try {
    return String((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) })).status);
  } catch (err) {
    return `no answer (${(err as Error).message})`;
  }
}
