/**
 * Query API benchmark: on a lake of N telemetry rows (default 10M) in the lake writer's
 * layout, each figure of the query API side by side with DuckDB running the same query
 * directly on the same lake in the same run (its own in-memory DuckDB, the lake attached
 * READ_ONLY, the same thread and memory limits: the raw limit). Prints one JSON object.
 *
 *   node bench/query-api/query-api-bench.ts [--rows 10000000] [--kafka-rows 1000000]
 *       [--page-size 100] [--pages 1,1000,10000] [--samples 200] [--get-samples 100]
 *       [--agg-samples 5] [--export-rows 1000000] [--writer-events 500000] [--no-writer] [--fill-only]
 *       [--threads N]
 *
 * - Lake: cached in `<cache>/bench/query-api-<rows>` (`LANGTIAN_CACHE_DIR` or
 *   ~/.cache/langtian-eda) and reused. Filled once: the first `--kafka-rows` rows as encoded
 *   envelopes through Kafka and the real lake writer (`main.ts` as a child), the rest written
 *   straight into the writer's table with DuckDB (`INSERT … SELECT` from `range()`, rows
 *   equal to the writer's for the same events, checked on the Kafka part). The fill's
 *   figures are printed (again, marked cached, on later runs).
 * - Browse: p50/p99 of page 1, 1,000, 10,000 (`--pages`), without a filter and with
 *   `source_system = 'plant-1'` (a quarter of the rows). A deep page's cursor is page 1's,
 *   with its key set to the row before that page (found with one direct query, as a client
 *   walking there would end up with), then that page is fetched `--samples` times. Checked:
 *   the page starts with the row at its offset. DuckDB runs the same keyset statement.
 * - GetEvent: random ids, UUIDv5 (device events: no time in the id, every file is read) and
 *   UUIDv7 (the query API reads only files whose receive times cover a day around the id's
 *   time); DuckDB: `WHERE event_id = $id`.
 * - Aggregate over all rows: count and the 0.99 quantile of `sequence` per source system and
 *   minute; DuckDB the same statement.
 * - Export of `--export-rows` rows (a time range) per format the Export RPC serves (formats it
 *   does not serve yet are listed as skipped) vs DuckDB's own `COPY (…) TO` Parquet and CSV.
 * - Writer under read: the lake writer drains `--writer-events` fresh events into a fresh lake
 *   alone, while a loop of browse and aggregate calls reads the big lake, and alone again.
 *
 * The query API runs as a child (its `main.ts`, the settings from its env), called over
 * Connect (HTTP/1.1, loopback) from this process: every figure includes the client, HTTP and
 * protobuf encoding, which the direct DuckDB side (in this process) does not pay. Samples of ours and DuckDB alternate, so drift on a shared box hits both alike.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { create, type MessageInitShape, toJson } from "@bufbuild/protobuf";
import { timestampFromMs, ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { attachLake } from "@langtian/lake";
import { createTopic } from "@langtian/lake-writer/testing";
import {
  AggregateFunction,
  type BrowseRequestSchema,
  type EventFilter,
  EventFilterSchema,
  ExportFormat,
  QueryService,
} from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { loadQueryApiConfig } from "@langtian/query-api";
import { type KafkaCluster, startKafka, startNodeService, uniqueName } from "@langtian/testing";
import { cpuSeconds } from "../src/proc-cpu.ts";
import {
  benchLake,
  DEFAULT_KAFKA_ROWS,
  eventIdOf,
  eventMsOf,
  isV7Row,
  produceBenchEvents,
  runWriter,
  SOURCE_SYSTEMS,
} from "./bench-lake.ts";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "10000000" },
    "kafka-rows": { type: "string", default: String(DEFAULT_KAFKA_ROWS) },
    "page-size": { type: "string", default: "100" },
    pages: { type: "string", default: "1,1000,10000" },
    samples: { type: "string", default: "200" },
    "get-samples": { type: "string", default: "100" },
    "agg-samples": { type: "string", default: "5" },
    "export-rows": { type: "string", default: "1000000" },
    "writer-events": { type: "string", default: "500000" },
    writer: { type: "boolean", default: true },
    "fill-only": { type: "boolean", default: false },
    threads: { type: "string" },
  },
  allowNegative: true,
});
const rows = Number(args.rows);
const kafkaRows = Math.min(rows, Number(args["kafka-rows"]));
const pageSize = Number(args["page-size"]);
const pages = args.pages.split(",").map(Number);
const samples = Number(args.samples);
const getSamples = Number(args["get-samples"]);
const aggSamples = Number(args["agg-samples"]);
const exportRows = Math.min(rows, Number(args["export-rows"]));
const writerEvents = Number(args["writer-events"]);
/** Rows of `source_system = 'plant-1'`. */
const filteredRows = Math.floor((rows - 1 - 1) / SOURCE_SYSTEMS) + 1;

/** p-th percentile (nearest rank) of samples in ms, to 0.1 ms. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[i] as number) * 10) / 10;
}

function stats(values: readonly number[]): { p50: number; p99: number; max: number; samples: number } {
  return {
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: percentile(values, 100),
    samples: values.length,
  };
}

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await work();
  return [performance.now() - started, result];
}

/** Runs both sides `n` times after `warmUp` untimed rounds, alternating which goes first. */
async function sideBySide(
  n: number,
  warmUp: number,
  ours: (round: number) => Promise<unknown>,
  direct: (round: number) => Promise<unknown>,
): Promise<{ ours: number[]; direct: number[] }> {
  for (let i = 0; i < warmUp; i++) {
    await ours(i);
    await direct(i);
  }
  const result = { ours: [] as number[], direct: [] as number[] };
  for (let i = 0; i < n; i++) {
    const first = i % 2 === 0;
    if (first) result.ours.push((await timed(() => ours(i)))[0]);
    result.direct.push((await timed(() => direct(i)))[0]);
    if (!first) result.ours.push((await timed(() => ours(i)))[0]);
  }
  return result;
}

/** A deterministic random sequence (mulberry32), so runs pick the same ids. */
function randomSequence(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The query API's entry point, run as a child (a path to run, not an import). */
const QUERY_API_MAIN = join(import.meta.dirname, "../../services/query-api/src/main.ts");

let kafka: KafkaCluster | undefined;
let stopServer: (() => Promise<void>) | undefined;
const bootstrap = async () => {
  kafka ??= await startKafka();
  return kafka.bootstrap;
};
const scratch = mkdtempSync(join(tmpdir(), "query-api-bench-"));
try {
  const lake = await benchLake(rows, kafkaRows, bootstrap);
  if (args["fill-only"]) {
    process.stdout.write(`${JSON.stringify({ benchmark: "query-api", fillOnly: true, ...lake }, null, 2)}\n`);
    await kafka?.stop();
    rmSync(scratch, { recursive: true, force: true });
    process.exit(0);
  }
  const table = lake.fill.table;
  const tableSql = `lake.${table}`;

  const extensions = await provisionDuckdbExtensions();
  const catalogPath = lake.config.catalog.kind === "sqlite" ? lake.config.catalog.path : "";
  const queryEnv = {
    LANGTIAN_QUERY_API_PORT: "0",
    // startNodeService reads the "listening" line, logged at info.
    LANGTIAN_QUERY_API_LOG_LEVEL: "info",
    LANGTIAN_QUERY_API_LAKE_CATALOG: "sqlite",
    LANGTIAN_QUERY_API_LAKE_CATALOG_PATH: catalogPath,
    LANGTIAN_QUERY_API_LAKE_DATA_PATH: lake.config.dataPath,
    LANGTIAN_QUERY_API_SANDBOX_TEMP_DIR: join(scratch, "query-tmp"),
    // The benchmark is one caller making calls back to back: no per-key rate limit.
    LANGTIAN_QUERY_API_ACCESS_REQUESTS_PER_SECOND: "0",
    // DuckDB threads of both sides (default: the service's own default).
    ...(args.threads === undefined ? {} : { LANGTIAN_QUERY_API_SANDBOX_THREADS: args.threads }),
  };
  // The settings the service loads from the same env (its DuckDB limits, for the raw side).
  const config = loadQueryApiConfig(queryEnv);
  const server = await startNodeService({
    name: "query-api",
    script: QUERY_API_MAIN,
    env: queryEnv,
    logFile: join(scratch, "query-api.log"),
  });
  stopServer = () => server.process.kill().then(() => undefined);
  const client = createClient(
    QueryService,
    createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" }),
  );

  // The raw limit: DuckDB alone, the lake attached READ_ONLY, the query API's limits.
  const instance = await DuckDBInstance.create(":memory:", {
    threads: String(config.sandbox.threads),
    memory_limit: config.sandbox.memoryLimit,
    temp_directory: join(scratch, "direct-tmp"),
  });
  const direct = await instance.connect();
  await attachLake(direct, lake.config, extensions, { readOnly: true });
  await direct.run("LOAD icu");
  await direct.run("SET TimeZone = 'UTC'");

  const output: Record<string, unknown> = {
    benchmark: "query-api",
    startedAt: new Date().toISOString(),
    // Other work on the box shows here (the 1-minute figure is the one to read).
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
    rows,
    table,
    lake: {
      dir: lake.dir,
      cached: lake.cached,
      fill: {
        ...lake.fill,
        how:
          lake.fill.bulkRows === 0
            ? "every row through Kafka and the lake writer"
            : `${lake.fill.kafkaRows} rows through Kafka and the lake writer (main.ts), ${lake.fill.bulkRows} written directly with DuckDB into the writer's table (INSERT … SELECT from range(), rows equal to the writer's, checked)`,
      },
    },
    duckdb: {
      threads: config.sandbox.threads,
      memoryLimit: config.sandbox.memoryLimit,
    },
    pageSize,
  };

  // ---- Browse ----------------------------------------------------------------------------
  const filters: { name: string; filter: EventFilter; where: string; rows: number }[] = [
    { name: "none", filter: create(EventFilterSchema, { table }), where: "true", rows },
    {
      name: "source_system = plant-1",
      filter: create(EventFilterSchema, { table, sourceSystem: "plant-1" }),
      where: "source_system = 'plant-1'",
      rows: filteredRows,
    },
  ];
  const browse: unknown[] = [];
  let snapshot = 0n;
  /** Cursors of the deep pages, reused by the busy reader. */
  const deepCursors: string[] = [];
  for (const f of filters) {
    const first = await client.browse({ filter: f.filter, pageSize });
    snapshot = first.snapshotId;
    const idIndex = first.columns.findIndex((c) => c.name === "event_id");
    const at = `${tableSql} AT (VERSION => ${snapshot})`;
    const keyset = await direct.prepare(
      `SELECT * FROM ${at} WHERE ${f.where} AND event_timestamp >= $after_ts::TIMESTAMPTZ ` +
        "AND (event_timestamp > $after_ts::TIMESTAMPTZ OR event_id > $after_id) " +
        `ORDER BY event_timestamp, event_id LIMIT ${pageSize + 1}`,
    );
    const firstPage = await direct.prepare(
      `SELECT * FROM ${at} WHERE ${f.where} ORDER BY event_timestamp, event_id LIMIT ${pageSize + 1}`,
    );
    for (const page of pages) {
      const offset = (page - 1) * pageSize;
      if (offset + pageSize > f.rows) {
        browse.push({ filter: f.name, page, skipped: `the filter selects ${f.rows} rows` });
        continue;
      }
      let request: MessageInitShape<typeof BrowseRequestSchema>;
      let params: Record<string, DuckDBValue> | undefined;
      if (page === 1) {
        request = { filter: f.filter, pageSize };
      } else {
        // The key of the last row of the page before, as a client walking there would hold it.
        const key = (
          await direct.runAndReadAll(
            `SELECT strftime(event_timestamp, '%Y-%m-%dT%H:%M:%S.%fZ'), event_id FROM ${at} WHERE ${f.where} ` +
              `ORDER BY event_timestamp, event_id LIMIT 1 OFFSET ${offset - 1}`,
          )
        ).getRows()[0];
        const cursor = JSON.parse(Buffer.from(first.nextCursor, "base64url").toString("utf8"));
        cursor.t = String(key?.[0]);
        cursor.i = String(key?.[1]);
        request = { cursor: Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url") };
        params = { after_ts: String(key?.[0]), after_id: String(key?.[1]) };
        deepCursors.push(request.cursor as string);
      }
      // Check: the page starts with the row at its offset, and is full.
      const expected = String(
        (
          await direct.runAndReadAll(
            `SELECT event_id FROM ${at} WHERE ${f.where} ORDER BY event_timestamp, event_id LIMIT 1 OFFSET ${offset}`,
          )
        ).getRows()[0]?.[0],
      );
      const check = await client.browse(request);
      const got = check.rows[0]?.cells[idIndex];
      if (got === undefined || toJson(ValueSchema, got) !== expected || check.rows.length !== pageSize)
        throw new Error(`browse page ${page} (${f.name}) does not start at row ${offset}`);
      const times = await sideBySide(
        samples,
        5,
        () => client.browse(request),
        async () => {
          const statement = params === undefined ? firstPage : keyset;
          if (params !== undefined) statement.bind(params);
          return (await statement.runAndReadAll()).getRows();
        },
      );
      const ours = stats(times.ours);
      const raw = stats(times.direct);
      browse.push({
        filter: f.name,
        page,
        offset,
        queryApiMs: ours,
        duckdbMs: raw,
        p99Ratio: Number((ours.p99 / raw.p99).toFixed(2)),
        goalP99Under50Ms: ours.p99 < 50,
      });
    }
    keyset.destroySync();
    firstPage.destroySync();
  }
  output.snapshot = String(snapshot);
  output.browse = browse;

  // ---- GetEvent --------------------------------------------------------------------------
  const random = randomSequence(42);
  const pick = (v7: boolean) => {
    const ids: string[] = [];
    while (ids.length < getSamples + 3) {
      const i = Math.floor(random() * rows);
      if (isV7Row(i) === v7) ids.push(eventIdOf(i));
    }
    return ids;
  };
  const lookUp = await direct.prepare(`SELECT * FROM ${tableSql} WHERE event_id = $id`);
  const getEvent: Record<string, unknown> = {};
  for (const [kind, ids] of [
    ["uuidv5", pick(false)],
    ["uuidv7", pick(true)],
  ] as const) {
    const times = await sideBySide(
      getSamples,
      3,
      async (round) => {
        const id = ids[round] as string;
        const found = await client.getEvent({ eventId: id });
        const at = found.columns.findIndex((c) => c.name === "event_id");
        const cell = found.row?.cells[at];
        if (cell === undefined || toJson(ValueSchema, cell) !== id)
          throw new Error(`GetEvent ${id}: wrong row`);
      },
      async (round) => {
        lookUp.bind({ id: ids[round] as string });
        const found = (await lookUp.runAndReadAll()).getRows();
        if (found.length !== 1) throw new Error(`DuckDB found ${found.length} rows for ${ids[round]}`);
      },
    );
    const ours = stats(times.ours);
    const raw = stats(times.direct);
    getEvent[kind] = {
      queryApiMs: ours,
      duckdbMs: raw,
      p99Ratio: Number((ours.p99 / raw.p99).toFixed(2)),
      goalP99Under50Ms: ours.p99 < 50,
    };
  }
  lookUp.destroySync();
  output.getEvent = getEvent;

  // ---- Aggregate -------------------------------------------------------------------------
  const aggregateRequest = {
    filter: create(EventFilterSchema, { table }),
    bucketSeconds: 60,
    dimensions: ["source_system"],
    measures: [
      { function: AggregateFunction.COUNT },
      { function: AggregateFunction.QUANTILE, column: "sequence", quantile: 0.99 },
    ],
    // 10M rows span 16,667 minutes: 66,667 groups, more than the default limit.
    limit: 100_000,
  };
  const aggregateSql =
    "SELECT time_bucket(INTERVAL 60 SECOND, event_timestamp) AS bucket, source_system, count(*), " +
    `quantile_cont(sequence, 0.99) FROM ${tableSql} AT (VERSION => ${snapshot}) WHERE true ` +
    "GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 100001";
  {
    let groups = 0;
    const times = await sideBySide(
      aggSamples,
      1,
      async () => {
        const result = await client.aggregate(aggregateRequest);
        if (result.truncated) throw new Error("the aggregate was truncated");
        groups = result.rows.length;
      },
      async () => (await direct.runAndReadAll(aggregateSql)).getRows(),
    );
    const ours = stats(times.ours);
    const raw = stats(times.direct);
    output.aggregate = {
      what: "count(*) and quantile_cont(sequence, 0.99) per minute and source_system, all rows",
      groups,
      queryApiMs: ours,
      duckdbMs: raw,
      queryApiRowsPerSecond: Math.round(rows / (ours.p50 / 1000)),
      duckdbRowsPerSecond: Math.round(rows / (raw.p50 / 1000)),
      p50Ratio: Number((ours.p50 / raw.p50).toFixed(2)),
    };
  }

  // ---- Export ----------------------------------------------------------------------------
  {
    const from = eventMsOf(0);
    const to = eventMsOf(exportRows);
    const exportFilter = create(EventFilterSchema, {
      table,
      from: timestampFromMs(from),
      to: timestampFromMs(to),
    });
    const exportSelect =
      `SELECT * FROM ${tableSql} AT (VERSION => ${snapshot}) WHERE event_timestamp >= make_timestamptz(${from * 1000}) ` +
      `AND event_timestamp < make_timestamptz(${to * 1000}) ORDER BY event_timestamp, event_id`;
    const duckdbCopy: Record<string, unknown> = {};
    for (const format of ["parquet", "csv"] as const) {
      const file = join(scratch, `direct.${format}`);
      const [ms] = await timed(() =>
        direct.run(
          `COPY (${exportSelect}) TO '${file}' (FORMAT ${format}${format === "csv" ? ", HEADER true" : ""})`,
        ),
      );
      rmSync(file, { force: true });
      duckdbCopy[format] = {
        seconds: Number((ms / 1000).toFixed(2)),
        rowsPerSecond: Math.round(exportRows / (ms / 1000)),
      };
    }
    const exports: Record<string, unknown> = {};
    const formats = [
      ["csv", ExportFormat.CSV, "csv"],
      ["ndjson", ExportFormat.NDJSON, "csv"],
      ["parquet", ExportFormat.PARQUET, "parquet"],
      ["arrow_ipc", ExportFormat.ARROW_IPC, "parquet"],
    ] as const;
    for (const [name, format, against] of formats) {
      try {
        let bytes = 0;
        let newlines = 0;
        const cpuStarted = cpuSeconds(server.process.pid);
        const clientCpuStarted = process.cpuUsage();
        const [ms] = await timed(async () => {
          for await (const chunk of client.export({
            source: { case: "browse", value: exportFilter },
            format,
          })) {
            bytes += chunk.data.byteLength;
            if (name === "csv" || name === "ndjson")
              for (let at = chunk.data.indexOf(10); at !== -1; at = chunk.data.indexOf(10, at + 1))
                newlines++;
          }
        });
        const serverCores = (cpuSeconds(server.process.pid) - cpuStarted) / (ms / 1000);
        const clientCpu = process.cpuUsage(clientCpuStarted);
        // This process receiving the stream (Connect client, counting lines).
        const clientCores = (clientCpu.user + clientCpu.system) / 1000 / ms;
        const counted = name === "csv" ? newlines - 1 : name === "ndjson" ? newlines : undefined;
        if (counted !== undefined && counted !== exportRows)
          throw new Error(`${name} export held ${counted} rows, not ${exportRows}`);
        const rowsPerSecond = Math.round(exportRows / (ms / 1000));
        const limit = (duckdbCopy[against] as { rowsPerSecond: number }).rowsPerSecond;
        exports[name] = {
          seconds: Number((ms / 1000).toFixed(2)),
          bytes,
          rowsPerSecond,
          queryApiCores: Number(serverCores.toFixed(2)),
          clientCores: Number(clientCores.toFixed(2)),
          duckdbCopy: against,
          vsDuckdbCopy: Number((rowsPerSecond / limit).toFixed(2)),
          goalAtLeastHalf: rowsPerSecond >= limit / 2,
        };
      } catch (err) {
        exports[name] =
          err instanceof ConnectError && err.code === Code.Unimplemented
            ? { skipped: "the Export RPC is not served (yet)" }
            : { error: (err as Error).message };
      }
    }
    output.export = { rows: exportRows, duckdbCopy, queryApi: exports };
  }

  // ---- The writer with and without a busy reader ------------------------------------------
  if (args.writer && writerEvents > 0) {
    const servers = await bootstrap();
    const topic = uniqueName("bench-query-writer");
    await createTopic(servers, topic, 4);
    await produceBenchEvents(servers, topic, 0, writerEvents);
    const writerRun = async (label: string) => {
      const dir = mkdtempSync(join(scratch, `writer-${label}-`));
      const run = await runWriter(servers, topic, dir, writerEvents);
      await run.writer.process.kill();
      rmSync(dir, { recursive: true, force: true });
      return {
        eventsPerSecond: run.eventsPerSecond,
        seconds: Number(run.seconds.toFixed(2)),
        writerCores: run.writerCores,
        boxBusyCores: run.boxBusyCores,
      };
    };
    const alone = await writerRun("alone");
    // A reader that never pauses: browse page 1, each deep page, the aggregate, over and over.
    let reading = true;
    const calls = { browse: 0, aggregate: 0, failed: 0 };
    const reader = (async () => {
      while (reading) {
        try {
          await client.browse({ filter: create(EventFilterSchema, { table }), pageSize });
          calls.browse++;
          for (const cursor of deepCursors) {
            if (!reading) break;
            await client.browse({ cursor });
            calls.browse++;
          }
          if (!reading) break;
          await client.aggregate(aggregateRequest);
          calls.aggregate++;
        } catch {
          calls.failed++;
        }
      }
    })();
    let busy: Awaited<ReturnType<typeof writerRun>>;
    try {
      busy = await writerRun("busy");
    } finally {
      reading = false;
      await reader;
    }
    const aloneAgain = await writerRun("alone-again");
    const aloneMean = (alone.eventsPerSecond + aloneAgain.eventsPerSecond) / 2;
    output.writerUnderRead = {
      events: writerEvents,
      what: "the lake writer (main.ts) drains the same topic into a fresh lake: alone, while a reader loops over the big lake, alone again",
      alone,
      whileReading: { ...busy, readerCalls: calls },
      aloneAgain,
      ratio: Number((busy.eventsPerSecond / aloneMean).toFixed(2)),
      goalLossUnder10Percent: busy.eventsPerSecond >= 0.9 * aloneMean,
    };
  }

  output.endedAt = new Date().toISOString();
  output.loadAverageAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  direct.closeSync();
  instance.closeSync();
} finally {
  await stopServer?.();
  await kafka?.stop();
  rmSync(scratch, { recursive: true, force: true });
}
