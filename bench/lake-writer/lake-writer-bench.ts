/**
 * Lake writer benchmark: events/s from Kafka into DuckLake at several batch sizes, flush
 * latency p50/p99, RSS and catalog size, next to a raw baseline on the same box in the same
 * run (per batch: decode the same envelopes, DuckDB appender, COPY to Parquet; each phase
 * timed, so appender + Parquet alone is the DuckDB side's limit without our decoding).
 * Each batch size runs with dedupe on and off (the lookup of every batch against the lake),
 * and with each catalog asked for: SQLite (the default) and the DuckDB file.
 * Events are produced and decoded in chunks, never held all at once, so the process's peak
 * RSS is the writer's. Prints JSON.
 *
 *   node bench/lake-writer/lake-writer-bench.ts [events=1000000] [batchSizes=5000,20000,50000] [dedupe=on,off] [catalogs=sqlite]
 *
 * `catalogs` is a list of `sqlite` and `duckdb`; repeat them (`sqlite,duckdb,sqlite,duckdb`)
 * to alternate runs on a shared box.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { devicePayloadRegistry } from "@langtian/envelope";
import {
  type CellValue,
  createBatchWriter,
  createIngestLoop,
  createKafkaSource,
  createTableManager,
  ensureStateSchema,
  routeRecord,
  stageRows,
  type TableSpec,
} from "@langtian/lake-writer";
import {
  createTopic,
  openTestLake,
  produce,
  queryNumber,
  telemetryEvents,
} from "@langtian/lake-writer/testing";
import { startKafka, tempDir, uniqueName } from "@langtian/testing";

const total = Number(process.argv[2] ?? 1_000_000);
const batchSizes = (process.argv[3] ?? "5000,20000,50000").split(",").map(Number);
const dedupeModes = (process.argv[4] ?? "on,off").split(",").map((mode) => mode === "on");
const catalogKinds = (process.argv[5] ?? "sqlite").split(",").map((kind) => {
  if (kind !== "sqlite" && kind !== "duckdb") throw new Error(`catalog ${kind}: sqlite or duckdb`);
  return kind;
});
/** Events produced (and decoded by the baseline) per chunk. */
const CHUNK = 50_000;
const partitions = 4;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const kafka = await startKafka();
try {
  const topic = uniqueName("bench-lake");
  await createTopic(kafka.bootstrap, topic, partitions);
  const produceStarted = performance.now();
  for (let first = 0; first < total; first += CHUNK) {
    await produce(kafka.bootstrap, topic, telemetryEvents(Math.min(CHUNK, total - first), first));
  }
  const produceSeconds = (performance.now() - produceStarted) / 1000;

  // Baseline: the writer's work without Kafka and without the lake. Per batch of the largest
  // batch size (the writer holds one batch, not all rows: holding 1M rows makes GC, not
  // decoding, the cost): same decoding and routing, DuckDB appender into memory, COPY to a
  // Parquet file. Each phase is timed, so "append + Parquet" alone is the DuckDB side's
  // limit for these rows, without any of our JavaScript decoding.
  const baselineDir = tempDir("bench-baseline");
  const baselineBatchRows = Math.max(...batchSizes);
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  let routeMs = 0;
  let appendMs = 0;
  let parquetMs = 0;
  for (let first = 0; first < total; first += baselineBatchRows) {
    const rows: CellValue[][] = [];
    let spec: TableSpec | undefined;
    const events = telemetryEvents(Math.min(baselineBatchRows, total - first), first);
    const routeStarted = performance.now();
    for (const [i, event] of events.entries()) {
      const origin = { source: "kafka:bench", partition: "0", position: BigInt(first + i) };
      const routed = routeRecord(event.value, origin, devicePayloadRegistry);
      if (routed.kind !== "row") continue;
      spec ??= routed.spec;
      rows.push(routed.row);
    }
    if (!spec) throw new Error("no rows routed");
    const appendStarted = performance.now();
    await stageRows(connection, "raw", { spec, rows });
    const parquetStarted = performance.now();
    const file = join(baselineDir, `raw-${first}.parquet`);
    await connection.run(`COPY temp.main.raw TO '${file}' (FORMAT parquet)`);
    const ended = performance.now();
    routeMs += appendStarted - routeStarted;
    appendMs += parquetStarted - appendStarted;
    parquetMs += ended - parquetStarted;
  }
  const baselineSeconds = (routeMs + appendMs + parquetMs) / 1000;
  connection.closeSync();
  instance.closeSync();

  /** One writer run: batch size, dedupe on or off, catalog kind, and its figures. */
  type Run = {
    batchSize: number;
    dedupe: boolean;
    catalog: "sqlite" | "duckdb";
    eventsPerSecond: number;
    [figure: string]: unknown;
  };
  const runs: Run[] = [];
  for (const batchSize of batchSizes)
    for (const dedupe of dedupeModes)
      for (const catalog of catalogKinds) {
        globalThis.gc?.();
        const test = await openTestLake({ catalogKind: catalog });
        const { lake } = test;
        const writerConnection = await lake.connect();
        await ensureStateSchema(writerConnection);
        const latencies: number[] = [];
        let rows = 0;
        let peakRss = process.memoryUsage.rss();
        // Sampled between commits too: a batch peaks while it is staged, not when it is done.
        const sampler = setInterval(() => {
          peakRss = Math.max(peakRss, process.memoryUsage.rss());
        }, 50);
        let finish: () => void = () => undefined;
        const finished = new Promise<void>((resolve) => {
          finish = resolve;
        });
        const started = performance.now();
        const cpuStarted = process.cpuUsage();
        const loop = createIngestLoop({
          source: createKafkaSource({
            bootstrap: kafka.bootstrap,
            topics: [topic],
            groupId: uniqueName("bench-group"),
            clientId: "bench",
          }),
          writer: createBatchWriter({
            connection: writerConnection,
            tables: createTableManager(writerConnection),
            maxCommitRetries: 3,
            dedupe,
          }),
          dedupe,
          connection: writerConnection,
          owner: "bench",
          registry: devicePayloadRegistry,
          // The service's default byte limit (32 MiB) and flush interval.
          limits: { maxBatchRows: batchSize, maxBatchBytes: 32 * 1024 * 1024, flushIntervalMs: 1000 },
          observer: {
            batchCommitted(info) {
              latencies.push(info.latencyMs);
              rows += info.rows;
              peakRss = Math.max(peakRss, process.memoryUsage.rss());
              if (rows >= total) finish();
            },
          },
        });
        await finished;
        clearInterval(sampler);
        const seconds = (performance.now() - started) / 1000;
        // Process CPU (all threads: JavaScript, Kafka client, DuckDB): less disturbed than wall
        // time by other work on a shared box.
        const cpu = process.cpuUsage(cpuStarted);
        await loop.drain();
        const check = await lake.connect();
        const stored = await queryNumber(check, "SELECT count(*) FROM lake.device_telemetry_v1");
        const catalogBytes =
          test.config.catalog.kind === "postgres" ? 0 : statSync(test.config.catalog.path).size;
        await test.dispose();
        latencies.sort((a, b) => a - b);
        runs.push({
          batchSize,
          dedupe,
          catalog,
          rows: stored,
          seconds: Number(seconds.toFixed(2)),
          eventsPerSecond: Math.round(total / seconds),
          cpuMicrosPerEvent: Number(((cpu.user + cpu.system) / total).toFixed(1)),
          batches: latencies.length,
          flushLatencyMs: {
            p50: Number(percentile(latencies, 50).toFixed(1)),
            p99: Number(percentile(latencies, 99).toFixed(1)),
          },
          peakRssMiB: Math.round(peakRss / 1024 / 1024),
          catalogBytes,
        });
      }
  const baselineEventsPerSecond = Math.round(total / baselineSeconds);
  const best = Math.max(...runs.map((r) => r.eventsPerSecond));
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: "lake-writer",
        events: total,
        partitions,
        produceEventsPerSecond: Math.round(total / produceSeconds),
        baseline: {
          kind: "per batch: same decoding and routing, DuckDB appender into memory, COPY to Parquet (no Kafka, no lake)",
          batchRows: baselineBatchRows,
          eventsPerSecond: baselineEventsPerSecond,
          seconds: Number(baselineSeconds.toFixed(2)),
          decodeRouteSeconds: Number((routeMs / 1000).toFixed(2)),
          appendSeconds: Number((appendMs / 1000).toFixed(2)),
          parquetSeconds: Number((parquetMs / 1000).toFixed(2)),
          appendAndParquetEventsPerSecond: Math.round((total * 1000) / (appendMs + parquetMs)),
        },
        runs,
        dedupeOnVsOff: batchSizes.map((batchSize) => {
          const on = runs.find((r) => r.batchSize === batchSize && r.dedupe);
          const off = runs.find((r) => r.batchSize === batchSize && !r.dedupe);
          return {
            batchSize,
            ratio: on && off ? Number((on.eventsPerSecond / off.eventsPerSecond).toFixed(2)) : null,
          };
        }),
        // Best SQLite run over best DuckDB-file run, per batch size and dedupe mode.
        sqliteVsDuckdb: batchSizes.flatMap((batchSize) =>
          [...new Set(dedupeModes)].map((dedupe) => {
            const best = (catalog: string) =>
              Math.max(
                0,
                ...runs
                  .filter((r) => r.batchSize === batchSize && r.dedupe === dedupe && r.catalog === catalog)
                  .map((r) => r.eventsPerSecond),
              );
            const sqlite = best("sqlite");
            const duckdb = best("duckdb");
            return {
              batchSize,
              dedupe,
              ratio: sqlite && duckdb ? Number((sqlite / duckdb).toFixed(2)) : null,
            };
          }),
        ),
        bestVsBaseline: Number((best / baselineEventsPerSecond).toFixed(2)),
        bestVsSqlFlow45k: Number((best / 45_000).toFixed(2)),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await kafka.stop();
}
