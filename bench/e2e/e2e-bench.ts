/**
 * Whole-pipeline benchmark (not a test): UDP device frames → collector → NATS JetStream →
 * bridge → Kafka → lake writer → DuckLake → query API, and the direct path (JetStream → lake
 * writer, no bridge, no Kafka), every server and service a real process on this box. Prints
 * one JSON document.
 *
 *   node bench/e2e/e2e-bench.ts [--quick] [--paths kafka,jetstream]
 *     [--latency-rates 1000,5000,20000] [--latency-seconds 10]
 *     [--saturation-rates 2000,4000,6000,8000,10000,12000,15000,20000] [--step-seconds 8]
 *     [--stages collector,bridge] [--poll-ms 100]
 *
 * `--quick` (or `LANGTIAN_BENCH_QUICK=1`): a smoke run of about two minutes (the Kafka path,
 * 1,000 events/s for 5 s, one saturation step, no stage alone).
 *
 * Per path, after a warm-up:
 * - **Saturation**: steps of rising offered rates, each starting once the lake holds every
 *   frame sent before it; per step the rate the lake writer committed rows at (its
 *   `rows_written_total`) between the step's first and last commit. A step is sustained when
 *   every frame sent is in the lake within 5 s of the last send and the kernel dropped no
 *   datagram. The ramp stops at the first step that is not sustained (its commit rate is the
 *   lake's rate when saturated).
 * - **Latency at fixed rates** (once the saturation backlog is in the lake): a worker thread
 *   sends device frames at the rate, each stamped with its send time (the row's
 *   `event_timestamp`); the benchmark polls the query API's `Sql` every `--poll-ms` for the
 *   count of rows per 10 ms of send time since the oldest send time not yet fully visible. Rows that appear between two polls became visible at the later poll:
 *   latency = that poll's answer time − their send time, for every event (not a sample).
 *   Beside it: CPU (% of one core) and RSS of each service's process over the step.
 * Then, with the pipelines stopped, the stages alone in the same run (`--stages`): the
 * existing collector benchmark (R1) and bridge benchmark (a drain), shortened; the whole
 * pipeline's sustained rate is divided by the slowest of them.
 */
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { create } from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { readKernelUdpStats } from "@langtian/collector";
import { QueryService } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import {
  canBindUdp,
  freePort,
  type KafkaCluster,
  type NatsServer,
  type NodeService,
  startKafka,
  startNats,
  startNodeService,
  sumMetric,
  tempDir,
  uniqueName,
  waitFor,
} from "@langtian/testing";
import { startFrameSender } from "./frame-sender.ts";
import { measureUsage, pidsMentioning, type ServiceProcesses } from "./service-usage.ts";
import { createVisibilityTracker } from "./visibility-tracker.ts";

const repoRoot = join(import.meta.dirname, "..", "..");
const mains = {
  collector: join(repoRoot, "services/collector/src/main.ts"),
  bridge: join(repoRoot, "services/bridge/src/main.ts"),
  lakeWriter: join(repoRoot, "services/lake-writer/src/main.ts"),
  queryApi: join(repoRoot, "services/query-api/src/main.ts"),
};
const TABLE = "device_telemetry_v1";
const DEVICES = 50;
/** The lake writer's flush interval in this run: its default, stated in the output. */
const FLUSH_INTERVAL_MS = 1000;
/** A saturation step is sustained when its last frame is in the lake this soon after it was sent. */
const CATCH_UP_LIMIT_MS = 5000;

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: process.env.LANGTIAN_BENCH_QUICK === "1" },
    paths: { type: "string" },
    "latency-rates": { type: "string" },
    "latency-seconds": { type: "string" },
    "saturation-rates": { type: "string" },
    "step-seconds": { type: "string" },
    stages: { type: "string" },
    "poll-ms": { type: "string", default: "100" },
  },
});
const quick = args.quick === true;
const list = (text: string) => text.split(",").filter((x) => x !== "" && x !== "none");
const settings = {
  paths: list(args.paths ?? (quick ? "kafka" : "kafka,jetstream")) as ("kafka" | "jetstream")[],
  latencyRates: list(args["latency-rates"] ?? (quick ? "1000" : "1000,5000,20000")).map(Number),
  latencySeconds: Number(args["latency-seconds"] ?? (quick ? 5 : 10)),
  saturationRates: list(
    args["saturation-rates"] ?? (quick ? "3000" : "2000,4000,6000,8000,10000,12000,15000,20000"),
  ).map(Number),
  stepSeconds: Number(args["step-seconds"] ?? (quick ? 5 : 8)),
  stages: list(args.stages ?? (quick ? "none" : "collector,bridge")),
  pollMs: Number(args["poll-ms"]),
};
for (const path of settings.paths)
  if (path !== "kafka" && path !== "jetstream") throw new Error(`--paths: kafka or jetstream, not ${path}`);

const log = (line: string) =>
  process.stderr.write(`[e2e-bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const round = (x: number, digits = 0) => Number(x.toFixed(digits));
/** The box's load average, as `cat /proc/loadavg` prints it. */
const procLoadavg = () => readFileSync("/proc/loadavg", "utf8").trim();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One pipeline on its own servers, every service a child process from its `main.ts`. */
interface RunningPipeline {
  readonly udpPort: number;
  readonly lakeWriter: NodeService;
  /** The processes of each service (the query API's once it runs). */
  readonly processes: ServiceProcesses[];
  /**
   * Where the events are: each stage's counters now (cumulative since the pipeline started).
   * Printed with a step that left events unseen, to tell which stage holds them.
   */
  stageTally(): Promise<Record<string, number>>;
  /** Starts the query API on the lake (once the writer created the event table). */
  startQueryApi(): Promise<NodeService>;
  /** Stops the services in reverse start order (drain), then the servers. */
  stop(): Promise<void>;
}

async function freeUdpPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (await canBindUdp(port)) return port;
  }
}

async function startPipeline(path: "kafka" | "jetstream"): Promise<RunningPipeline> {
  const root = tempDir(`e2e-bench-${path}`);
  const base = uniqueName("e2e");
  const stream = base.toUpperCase();
  const topic = `${base}.events`;
  const lake = { catalogPath: join(root, "lake", "catalog.sqlite"), dataPath: join(root, "lake", "data") };
  const started: NodeService[] = [];
  let nats: NatsServer | undefined;
  let kafka: KafkaCluster | undefined;
  const stop = async () => {
    for (const service of [...started].reverse()) await service.process.stop(15_000).catch(() => undefined);
    await Promise.all([nats?.stop(), kafka?.stop()]);
  };
  const launch = async (name: string, prefix: string, script: string, env: Record<string, string>) => {
    const service = await startNodeService({
      name,
      script,
      // startNodeService reads the "listening" line, logged at info.
      env: { ...env, [`${prefix}_PORT`]: "0", [`${prefix}_LOG_LEVEL`]: "info" },
      logFile: join(root, `${name}.log`),
      readyTimeoutMs: 120_000,
    });
    started.push(service);
    return service;
  };
  try {
    [nats, kafka] = await Promise.all([
      startNats({ dataDir: join(root, "nats") }),
      path === "kafka" ? startKafka({ dataDir: join(root, "kafka") }) : Promise.resolve(undefined),
    ]);
    const udpPort = await freeUdpPort();
    const collector = await launch("collector", "LANGTIAN_COLLECTOR", mains.collector, {
      LANGTIAN_COLLECTOR_NATS_URL: nats.url,
      LANGTIAN_COLLECTOR_STREAM_NAME: stream,
      LANGTIAN_COLLECTOR_STREAM_SUBJECT_PREFIX: `bench.${base}`,
      LANGTIAN_COLLECTOR_SPOOL_DIR: join(root, "collector-spool"),
      LANGTIAN_COLLECTOR_UDP_LISTENERS: `udp://127.0.0.1:${udpPort}?decoder=device-frame&event_type=device.telemetry&source_system=bench&name=frames`,
    });
    const extensions = await provisionDuckdbExtensions();
    const lakeEnv: Record<string, string> = {
      LANGTIAN_LAKE_WRITER_LAKE_EXTENSION_DIR: extensions.extensionDirectory,
      LANGTIAN_LAKE_WRITER_LAKE_CATALOG: "sqlite",
      LANGTIAN_LAKE_WRITER_LAKE_CATALOG_PATH: lake.catalogPath,
      LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: lake.dataPath,
      LANGTIAN_LAKE_WRITER_BATCH_FLUSH_INTERVAL_MS: String(FLUSH_INTERVAL_MS),
      // No compaction in the middle of a measurement.
      LANGTIAN_LAKE_WRITER_MAINTENANCE_INTERVAL_MS: "0",
    };
    let bridge: NodeService | undefined;
    if (kafka !== undefined) {
      const bridgeEnv: Record<string, string> = {
        LANGTIAN_BRIDGE_NATS_URL: nats.url,
        LANGTIAN_BRIDGE_NATS_STREAM: stream,
        LANGTIAN_BRIDGE_NATS_DURABLE: `bridge_${base}`,
        LANGTIAN_BRIDGE_KAFKA_BOOTSTRAP: kafka.bootstrap,
        LANGTIAN_BRIDGE_KAFKA_PARTITIONS: "3",
        LANGTIAN_BRIDGE_TOPICS_DEFAULT_TOPIC: topic,
        LANGTIAN_BRIDGE_TOPICS_DEAD_LETTER_TOPIC: `${base}.dlq`,
      };
      // The explicit provision step (durable consumer, topics), as production runs it.
      await promisify(execFile)(process.execPath, [mains.bridge, "provision"], {
        env: { ...process.env, ...bridgeEnv },
        timeout: 120_000,
      });
      bridge = await launch("bridge", "LANGTIAN_BRIDGE", mains.bridge, bridgeEnv);
      Object.assign(lakeEnv, {
        LANGTIAN_LAKE_WRITER_SOURCE: "kafka",
        LANGTIAN_LAKE_WRITER_KAFKA_BOOTSTRAP: kafka.bootstrap,
        LANGTIAN_LAKE_WRITER_KAFKA_TOPICS: topic,
        LANGTIAN_LAKE_WRITER_KAFKA_GROUP_ID: `lake_${base}`,
      });
    } else {
      Object.assign(lakeEnv, {
        LANGTIAN_LAKE_WRITER_SOURCE: "jetstream",
        LANGTIAN_LAKE_WRITER_JETSTREAM_URL: nats.url,
        LANGTIAN_LAKE_WRITER_JETSTREAM_STREAM: stream,
      });
    }
    const lakeWriter = await launch("lake-writer", "LANGTIAN_LAKE_WRITER", mains.lakeWriter, lakeEnv);
    const processes: ServiceProcesses[] = [
      { name: "collector", pids: [collector.process.pid] },
      { name: "nats-server", pids: pidsMentioning(join(root, "nats")) },
      ...(bridge === undefined ? [] : [{ name: "bridge", pids: [bridge.process.pid] }]),
      ...(kafka === undefined ? [] : [{ name: "kafka", pids: pidsMentioning(join(root, "kafka")) }]),
      { name: "lake-writer", pids: [lakeWriter.process.pid] },
      { name: "bench (load generator + query API poller)", pids: [process.pid] },
    ];
    const tallied: [string, NodeService | undefined, string[]][] = [
      [
        "collector",
        collector,
        [
          "datagrams_received_total",
          // Read but shed (the receive thread's queue was full, reason receive_queue_full) or bad.
          "decode_errors_total",
          "published_total",
          "duplicates_total",
          "spooled_total",
          "spool_replayed_total",
          "spool_depth_events",
          "rejected_total",
        ],
      ],
      [
        "bridge",
        bridge,
        ["consumed_total", "acked_total", "redeliveries_total", "dead_lettered_total", "consumer_pending"],
      ],
      ["lake_writer", lakeWriter, ["rows_written_total", "duplicates_dropped_total", "dead_letters_total"]],
    ];
    return {
      udpPort,
      lakeWriter,
      processes,
      async stageTally() {
        const tally: Record<string, number> = {};
        for (const [stage, service, names] of tallied) {
          if (service === undefined) continue;
          const text = await service.metricsText();
          for (const name of names)
            tally[`${stage}_${name}`] = sumMetric(text, `langtian_${stage}_${name}`) ?? 0;
        }
        return tally;
      },
      async startQueryApi() {
        const queryApi = await launch("query-api", "LANGTIAN_QUERY_API", mains.queryApi, {
          LANGTIAN_QUERY_API_LAKE_EXTENSION_DIR: extensions.extensionDirectory,
          LANGTIAN_QUERY_API_LAKE_CATALOG: "sqlite",
          LANGTIAN_QUERY_API_LAKE_CATALOG_PATH: lake.catalogPath,
          LANGTIAN_QUERY_API_LAKE_DATA_PATH: lake.dataPath,
          LANGTIAN_QUERY_API_SANDBOX_TEMP_DIR: join(root, "query-tmp"),
          // One caller polling back to back: no per-key rate limit.
          LANGTIAN_QUERY_API_ACCESS_REQUESTS_PER_SECOND: "0",
        });
        processes.splice(processes.length - 1, 0, { name: "query-api", pids: [queryApi.process.pid] });
        return queryApi;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A number from a result cell (BIGINT comes as a string, to keep its precision). */
function numberOf(cell: Value | undefined): number {
  const kind = cell?.kind;
  if (kind?.case === "numberValue") return kind.value;
  if (kind?.case === "stringValue") return Number(kind.value);
  return Number.NaN;
}

type QueryClient = ReturnType<typeof createClient<typeof QueryService>>;

async function sqlRows(
  client: QueryClient,
  sql: string,
  params: Record<string, string> = {},
): Promise<number[][]> {
  const rows: number[][] = [];
  const request = {
    sql,
    params: Object.fromEntries(
      Object.entries(params).map(([k, v]) => [
        k,
        create(ValueSchema, { kind: { case: "stringValue", value: v } }),
      ]),
    ),
    maxRows: 100_000,
  };
  for await (const part of client.sql(request)) {
    if (part.part.case === "rows") for (const row of part.part.value.rows) rows.push(row.cells.map(numberOf));
  }
  return rows;
}

/** The lake's row count standing still this long after the last frame was sent: the rest is lost. */
const STALL_MS = 20_000;

/**
 * Longest wait after a fixed-rate step for its events (an overloaded step leaves a backlog;
 * events still not visible then count as slower than the wait).
 */
const LATENCY_WAIT_MS = 90_000;

/** Buckets still incomplete this long after they were sent are given up (events lost). */
const GIVE_UP_MS = 240_000;

/**
 * Send time one poll reads, from the oldest pending: bounds each poll's work when a backlog
 * builds (without it every poll re-counts the whole backlog: work that grows with it).
 * In steady state every pending event is well inside it; with a longer backlog, events past
 * it are counted when the window reaches them, so their latency reads longer than it was.
 */
const POLL_WINDOW_MS = 10_000;

/**
 * Polls the query API every `pollMs` for the rows per 10 ms of send time since the oldest
 * send time not yet fully visible, and hands what it saw to the tracker.
 */
function startPoller(
  client: QueryClient,
  tracker: ReturnType<typeof createVisibilityTracker>,
  pollMs: number,
) {
  let running = true;
  let polls = 0;
  let errors = 0;
  let busyMs = 0;
  let lastError = "";
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const since = tracker.oldestPendingMs(Date.now(), GIVE_UP_MS);
      if (since !== undefined) {
        try {
          const rows = await sqlRows(
            client,
            `SELECT epoch_ms(event_timestamp) // 10 AS bucket, count(*) AS n FROM lake.${TABLE} ` +
              "WHERE event_timestamp >= CAST($since AS TIMESTAMPTZ) AND event_timestamp < CAST($window_end AS TIMESTAMPTZ) " +
              "GROUP BY bucket",
            {
              since: new Date(since).toISOString(),
              window_end: new Date(since + POLL_WINDOW_MS).toISOString(),
            },
          );
          tracker.seen(
            rows.map(([bucket = 0, n = 0]) => [bucket, n] as const),
            Date.now(),
          );
          polls++;
          busyMs += performance.now() - started;
        } catch (err) {
          // The table does not exist before the first commit; anything else is counted.
          errors++;
          lastError = String(err);
        }
      }
      await sleep(Math.max(1, pollMs - (performance.now() - started)));
    }
  })();
  return {
    /** Poll figures since the last call. */
    take() {
      const figures = { polls, errors, meanPollMs: polls === 0 ? 0 : round(busyMs / polls, 1), lastError };
      polls = 0;
      errors = 0;
      busyMs = 0;
      lastError = "";
      return figures;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** The rows the lake writer committed so far (its metrics; a busy box may take seconds to answer). */
async function rowsWritten(lakeWriter: NodeService): Promise<number> {
  const response = await fetch(`${lakeWriter.url}/metrics`, { signal: AbortSignal.timeout(60_000) });
  return sumMetric(await response.text(), "langtian_lake_writer_rows_written_total") ?? 0;
}

/**
 * Follows the lake writer's committed rows (every 100 ms) from now on: `until`, called once
 * the step's last frame is sent, waits until the lake holds `target` rows, or its count has
 * not moved for `stallMs` since then (the rest was lost), or `timeoutMs` passed.
 */
function followRows(lakeWriter: NodeService) {
  const changes: { atMs: number; rows: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await rowsWritten(lakeWriter).catch(() => undefined);
      if (rows !== undefined && rows !== changes.at(-1)?.rows)
        changes.push({ atMs: performance.now(), rows });
      await sleep(100);
    }
  })();
  return {
    async until(target: number, stallMs: number, timeoutMs: number) {
      // Called when the last frame was sent: the stall clock starts here at the earliest.
      const started = performance.now();
      for (;;) {
        const last = changes.at(-1);
        const now = performance.now();
        if (last !== undefined && (last.rows >= target || now - Math.max(last.atMs, started) > stallMs))
          break;
        if (now - started > timeoutMs) break;
        await sleep(50);
      }
      running = false;
      await loop;
      const first = changes[0] ?? { atMs: started, rows: 0 };
      const last = changes.at(-1) ?? first;
      // The first change is the count when following began (or the first commit after it).
      const firstCommit = changes[1] ?? last;
      return {
        rowsBefore: first.rows,
        rows: last.rows,
        lastCommitAtMs: last.atMs,
        // Between the step's first and last commit: the rows of every commit but the first
        // over the time between them (the steady commit rate, without the pipeline's latency).
        commitRowsPerSec:
          last.atMs > firstCommit.atMs
            ? Math.round((last.rows - firstCommit.rows) / ((last.atMs - firstCommit.atMs) / 1000))
            : 0,
      };
    },
  };
}

/**
 * Waits until the lake holds every frame sent so far, or its count has not moved for
 * `STALL_MS` (the rest was lost), at most `LATENCY_WAIT_MS`, so a step does not start on the
 * backlog of the one before (a step that does says so: `backlogAtStart`).
 */
async function settle(lakeWriter: NodeService, sentSoFar: number): Promise<void> {
  await followRows(lakeWriter).until(sentSoFar, STALL_MS, LATENCY_WAIT_MS);
}

async function runPath(path: "kafka" | "jetstream") {
  log(`${path}: starting servers and services`);
  const loadStart = procLoadavg();
  const pipeline = await startPipeline(path);
  const tracker = createVisibilityTracker();
  const sender = await startFrameSender(
    { udpPort: pipeline.udpPort, devices: DEVICES, devicePrefix: `bench-${path}` },
    (entries) => tracker.sent(entries),
  );
  let poller: ReturnType<typeof startPoller> | undefined;
  try {
    // Warm-up: the writer creates the event table on its first commit; the query API
    // attaches the lake after that.
    await sender.run(1000, 2);
    await waitFor(
      async () =>
        (await rowsWritten(pipeline.lakeWriter).catch(() => 0)) >= sender.sent() ? true : undefined,
      {
        what: "the warm-up events in the lake",
        timeoutMs: 120_000,
        intervalMs: 200,
      },
    );
    const queryApi = await pipeline.startQueryApi();
    const client = createClient(
      QueryService,
      createConnectTransport({ baseUrl: queryApi.url, httpVersion: "1.1" }),
    );
    poller = startPoller(client, tracker, settings.pollMs);
    await waitFor(async () => (tracker.pending() === 0 ? true : undefined), {
      what: "the warm-up events through the query API",
      timeoutMs: 120_000,
      intervalMs: 100,
    });
    tracker.takeSummary();
    poller.take();
    log(`${path}: up, warm-up visible through the query API`);

    const saturation = [];
    for (const rate of settings.saturationRates) {
      await settle(pipeline.lakeWriter, sender.sent());
      const loadavgAtStart = procLoadavg();
      const kernelBefore = readKernelUdpStats()?.rcvbufErrors ?? 0;
      const rowsAtStart = await rowsWritten(pipeline.lakeWriter);
      // Frames sent before the step and not in the lake (a backlog, or frames lost earlier).
      const backlogAtStart = sender.sent() - rowsAtStart;
      const rowsFollowed = followRows(pipeline.lakeWriter);
      const usage = measureUsage(pipeline.processes);
      const sent = await sender.run(rate, settings.stepSeconds);
      const sendEnded = performance.now();
      const { rows, rowsBefore, lastCommitAtMs, commitRowsPerSec } = await rowsFollowed.until(
        rowsAtStart + sent.sent,
        STALL_MS,
        GIVE_UP_MS,
      );
      const used = usage.stop();
      const committed = rows - rowsBefore;
      const caughtUp = committed >= sent.sent;
      const catchUpMs = Math.max(0, Math.round(lastCommitAtMs - sendEnded));
      const kernelDrops = (readKernelUdpStats()?.rcvbufErrors ?? 0) - kernelBefore;
      const step = {
        offeredPerSec: rate,
        sent: sent.sent,
        sentPerSec: Math.round(sent.sent / (sent.durationMs / 1000)),
        backlogAtStart,
        committed,
        lost: backlogAtStart === 0 ? sent.sent - committed : null,
        kernelDrops,
        catchUpMs,
        // Between the step's first and last lake commit.
        lakeRowsPerSec: commitRowsPerSec,
        sustained: backlogAtStart === 0 && caughtUp && kernelDrops === 0 && catchUpMs <= CATCH_UP_LIMIT_MS,
        usage: used,
        loadavg: { start: loadavgAtStart, end: procLoadavg() },
      };
      log(`${path} saturation ${rate}/s: ${JSON.stringify({ ...step, usage: undefined })}`);
      saturation.push(step);
      if (!step.sustained) break;
    }

    // The saturation steps' events are not part of the latency figures.
    await settle(pipeline.lakeWriter, sender.sent());
    await waitFor(async () => (tracker.pending() === 0 ? true : undefined), {
      what: "the saturation steps' events through the query API",
      timeoutMs: LATENCY_WAIT_MS,
      intervalMs: 100,
    }).catch(() => undefined);
    tracker.takeSummary();
    poller.take();
    const latency = [];
    for (const rate of settings.latencyRates) {
      await settle(pipeline.lakeWriter, sender.sent());
      const loadavgAtStart = procLoadavg();
      const kernelBefore = readKernelUdpStats()?.rcvbufErrors ?? 0;
      const rowsAtStart = await rowsWritten(pipeline.lakeWriter);
      const rowsFollowed = followRows(pipeline.lakeWriter);
      const usage = measureUsage(pipeline.processes);
      const sent = await sender.run(rate, settings.latencySeconds);
      const used = usage.stop();
      const sendEnded = performance.now();
      // Until every event is visible, or the lake stopped growing (the rest was lost).
      const { rows, rowsBefore, commitRowsPerSec } = await rowsFollowed.until(
        rowsAtStart + sent.sent,
        STALL_MS,
        LATENCY_WAIT_MS,
      );
      await waitFor(
        async () => (tracker.pending() === 0 || rows < rowsBefore + sent.sent ? true : undefined),
        {
          what: "every committed event visible through the query API",
          timeoutMs: 60_000,
          intervalMs: 50,
        },
      ).catch(() => undefined);
      const summary = tracker.takeSummary(sent.sent);
      const step = {
        ratePerSec: rate,
        seconds: settings.latencySeconds,
        sent: sent.sent,
        sentPerSec: Math.round(sent.sent / (sent.durationMs / 1000)),
        kernelDrops: (readKernelUdpStats()?.rcvbufErrors ?? 0) - kernelBefore,
        committed: rows - rowsBefore,
        commitRowsPerSec,
        visibleEvents: summary.events,
        notVisible: sent.sent - summary.events,
        latencyMs: { p50: summary.p50, p95: summary.p95, p99: summary.p99, max: summary.max },
        allVisibleAfterLastSendMs: Math.round(performance.now() - sendEnded),
        // Every frame the sender sent so far against each stage's counters, when some are unseen.
        ...(sent.sent - summary.events > 0 && {
          whereTheyAre: { framesSentSoFar: sender.sent(), ...(await pipeline.stageTally()) },
        }),
        usageWhileSending: used,
        queryApiPolls: poller.take(),
        loadavg: { start: loadavgAtStart, end: procLoadavg() },
      };
      log(`${path} latency ${rate}/s: ${JSON.stringify({ ...step, usageWhileSending: undefined })}`);
      latency.push(step);
    }
    await poller.stop();
    poller = undefined;

    // A sustained step took all it was offered: its rate is what was sent or committed, the lower.
    const sustainedEventsPerSec = Math.max(
      0,
      ...saturation.filter((s) => s.sustained).map((s) => Math.min(s.sentPerSec, s.lakeRowsPerSec)),
    );
    const saturated = saturation.find((s) => !s.sustained);
    return {
      stages:
        path === "kafka"
          ? "UDP → collector → JetStream → bridge → Kafka (3 partitions) → lake writer → DuckLake → query API"
          : "UDP → collector → JetStream → lake writer → DuckLake → query API",
      loadavg: { start: loadStart, end: procLoadavg() },
      latency,
      saturation,
      sustainedEventsPerSec,
      // The first step offered more than the pipeline took: the rate the lake committed at.
      saturatedLakeRowsPerSec: saturated?.lakeRowsPerSec ?? null,
    };
  } finally {
    await poller?.stop();
    await sender.close();
    log(`${path}: stopping`);
    await pipeline.stop();
  }
}

/** Runs one of the existing benchmarks as a child and returns its JSON document. */
async function runBench(script: string, benchArgs: string[]): Promise<Record<string, unknown>> {
  log(`stage alone: node ${script} ${benchArgs.join(" ")}`);
  const child = spawn(process.execPath, [join(repoRoot, script), ...benchArgs], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk) => {
    out += String(chunk);
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`${script} exited with ${code}`);
  return JSON.parse(out.slice(out.indexOf("{"))) as Record<string, unknown>;
}

async function stagesAlone() {
  const stages: Record<
    string,
    { eventsPerSec: number; command: string; loadavg: { start: string; end: string }; [k: string]: unknown }
  > = {};
  for (const stage of settings.stages) {
    const start = procLoadavg();
    try {
      if (stage === "collector") {
        const benchArgs = [
          "--topologies",
          "R1",
          "--rates",
          "8000,12000,16000,20000,24000,28000",
          "--step-seconds",
          "5",
          "--nats-bench-msgs",
          "100000",
        ];
        const doc = await runBench("bench/collector/collector-bench.ts", benchArgs);
        const r1 = (
          doc.results as Record<
            string,
            {
              collector: { sustainedDatagramsPerSec: number; steps: { achievedPerSec: number }[] };
              natsBench: { msgsPerSec: number };
              ratioToNatsBench: number;
            }
          >
        ).R1;
        const sustainedPerSec = r1?.collector.sustainedDatagramsPerSec ?? 0;
        stages.collector = {
          // No step sustained (a loaded box): the best rate it achieved, flagged.
          eventsPerSec:
            sustainedPerSec > 0
              ? sustainedPerSec
              : Math.max(0, ...(r1?.collector.steps ?? []).map((step) => step.achievedPerSec)),
          sustained: sustainedPerSec > 0,
          rawLimit: {
            natsBenchJsPubAsyncPerSec: r1?.natsBench.msgsPerSec ?? null,
            ratio: r1?.ratioToNatsBench ?? null,
          },
          what: "device frames/s into JetStream (R1) with zero loss, the simulator offering them",
          command: `node bench/collector/collector-bench.ts ${benchArgs.join(" ")}`,
          loadavg: { start, end: procLoadavg() },
        };
      } else if (stage === "bridge") {
        const benchArgs = ["--rates", "none", "--backlog", "150000", "--no-raw-limits"];
        const doc = await runBench("bench/bridge/bridge-bench.ts", benchArgs);
        const goal = doc.goal as { throughputPerSec: number };
        stages.bridge = {
          eventsPerSec: goal.throughputPerSec,
          what: "a JetStream backlog drained into Kafka, first record → last",
          command: `node bench/bridge/bridge-bench.ts ${benchArgs.join(" ")}`,
          loadavg: { start, end: procLoadavg() },
        };
      } else if (stage === "lake-writer") {
        const benchArgs = ["200000", "20000", "on", "sqlite"];
        const doc = await runBench("bench/lake-writer/lake-writer-bench.ts", benchArgs);
        const runs = doc.runs as { eventsPerSecond: number }[];
        stages["lake-writer"] = {
          eventsPerSec: runs[0]?.eventsPerSecond ?? 0,
          what: "Kafka → DuckLake, 20,000-row batches, dedupe on, SQLite catalog",
          command: `node bench/lake-writer/lake-writer-bench.ts ${benchArgs.join(" ")}`,
          loadavg: { start, end: procLoadavg() },
        };
      } else throw new Error(`--stages: collector, bridge or lake-writer, not ${stage}`);
    } catch (err) {
      // One stage that cannot run (e.g. a tool that cannot be provisioned) leaves the others.
      log(`stage alone ${stage} failed: ${String(err)}`);
      stageFailures[stage] = String(err);
    }
  }
  return stages;
}

/** Stages alone that failed to run, and why. */
const stageFailures: Record<string, string> = {};

const startedAt = new Date().toISOString();
// The launchers unref their children and timers: without a ref'd handle the process could end
// while it waits for a server to stop.
const keepAlive = setInterval(() => undefined, 1000);
const loadStart = procLoadavg();
const paths: Record<string, Awaited<ReturnType<typeof runPath>>> = {};
for (const path of settings.paths) paths[path] = await runPath(path);
const alone = await stagesAlone();

const goals = Object.fromEntries(
  Object.entries(paths).map(([path, result]) => {
    // The stages this path runs through that were measured alone.
    const candidates = Object.entries(alone).filter(([stage]) => path === "kafka" || stage !== "bridge");
    const slowest = candidates.reduce<[string, { eventsPerSec: number }] | undefined>(
      (a, c) => (a === undefined || c[1].eventsPerSec < a[1].eventsPerSec ? c : a),
      undefined,
    );
    // No step sustained (a loaded box): the lake's commit rate while saturated, flagged.
    const pipelineEventsPerSec = result.sustainedEventsPerSec || (result.saturatedLakeRowsPerSec ?? 0);
    const ratio =
      slowest === undefined || slowest[1].eventsPerSec === 0
        ? null
        : round(pipelineEventsPerSec / slowest[1].eventsPerSec, 2);
    const at20k = result.latency.find((s) => s.ratePerSec === 20_000);
    const p99At20k = at20k?.latencyMs.p99;
    return [
      path,
      {
        sustainedEventsPerSec: result.sustainedEventsPerSec,
        pipelineEventsPerSec,
        pipelineFigureIs:
          result.sustainedEventsPerSec > 0 ? "sustained" : "saturated commit rate (no step sustained)",
        slowestStageAlone:
          slowest === undefined ? null : { stage: slowest[0], eventsPerSec: slowest[1].eventsPerSec },
        ratioToSlowestStage: ratio,
        halfOfSlowestStageMet: ratio === null ? null : ratio >= 0.5,
        // null: the 20,000/s step was not run, or its p99 was longer than the wait after it.
        p99At20kMs: p99At20k ?? null,
        p99LimitMs: FLUSH_INTERVAL_MS + 500,
        p99At20kMet:
          at20k === undefined
            ? null
            : p99At20k !== null && p99At20k !== undefined && p99At20k <= FLUSH_INTERVAL_MS + 500,
      },
    ];
  }),
);

process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: "e2e",
      startedAt,
      endedAt: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      loadavg: { start: loadStart, end: procLoadavg(), oneMinuteAtEnd: round(loadavg()[0] ?? 0, 2) },
      quick,
      settings,
      lakeWriter: {
        flushIntervalMs: FLUSH_INTERVAL_MS,
        batchMaxRows: 20_000,
        catalog: "sqlite",
        dedupe: true,
      },
      latencyHow:
        "every event: send time stamped into the frame (event_timestamp); first visible = answer time of the first query API Sql poll that counts it",
      goals,
      paths,
      stagesAlone: alone,
      stageFailures,
    },
    null,
    2,
  )}\n`,
);
clearInterval(keepAlive);
