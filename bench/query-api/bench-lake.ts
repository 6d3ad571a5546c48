/**
 * The lake the query-API benchmark reads: telemetry events in the lake writer's own table
 * layout, cached between runs. The first `kafkaRows` go the production way (encoded envelopes
 * → Kafka → the lake writer's `main.ts`); the rest, when asked for, are written straight into
 * the same table with DuckDB, by SQL that builds rows equal to the writer's for the same
 * event (checked against the writer's rows before the bulk starts).
 */

import { hash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { DuckDBInstance } from "@duckdb/node-api";
import {
  createDeviceEnvelope,
  createEnvelope,
  DeviceEventType,
  deterministicEventId,
  deviceSchemaVersion,
  encodeEnvelope,
  eventIdNamespace,
} from "@langtian/envelope";
import { attachLake, type LakeConfig } from "@langtian/lake";
import { createTopic, lakeWriterEnv, produce } from "@langtian/lake-writer/testing";
import { TelemetrySchema } from "@langtian/proto";
import { cacheRoot, provisionDuckdbExtensions } from "@langtian/provision";
import { type NodeService, startNodeService, sumMetric, uniqueName, waitFor } from "@langtian/testing";
import { boxBusySeconds, cpuSeconds } from "../src/proc-cpu.ts";

/** Event time of row 0: 2026-11-20T00:00:00Z. */
export const FIRST_EVENT_MS = Date.UTC(2026, 10, 20, 0, 0, 0);
/**
 * Row i happens i × 100 ms later: 10M rows span 11.6 days (12 day partitions), so a UUIDv7
 * lookup's day-wide window around its id's time leaves most files unread, as in a lake that
 * holds more than a few days.
 */
export const EVENT_SPACING_MS = 100;
/** The collector stamps receipt this long after the event (every row alike). */
const RECEIVE_DELAY_MS = 50;
/** Rows per source system cycle: plant-0 … plant-3. */
export const SOURCE_SYSTEMS = 4;
const DEVICES = 64;
/** Every 10th row (i % 10 = 9) carries a UUIDv7 id (a producer without device ids); the rest UUIDv5. */
const V7_EVERY = 10;
/** Bumped whenever the rows change: a cached lake of another version is refilled. */
const LAYOUT_VERSION = 3;
/** The lake writer's entry point, run as a child (a path to run, not an import). */
export const LAKE_WRITER_MAIN = join(import.meta.dirname, "../../services/lake-writer/src/main.ts");
/**
 * Rows per bulk `INSERT`: the writer's default batch (`batch.maxRows`), so the bulk leaves
 * the files and snapshots the writer leaves (one Parquet file and one snapshot per 20,000
 * rows, before any maintenance merges them): the query API reads the layout it will meet.
 */
const BULK_CHUNK = 20_000;

/** Event time of row i, in ms since the epoch. */
export function eventMsOf(i: number): number {
  return FIRST_EVENT_MS + i * EVENT_SPACING_MS;
}

/** The row-i facts both fills share. */
function rowFacts(i: number) {
  const device = `dev-${i % DEVICES}`;
  const sourceSystem = `plant-${i % SOURCE_SYSTEMS}`;
  const eventMs = eventMsOf(i);
  const receivedMs = eventMs + RECEIVE_DELAY_MS;
  // Quarter steps: exact in binary, so JSON text is the same from JavaScript and from SQL.
  return { device, sourceSystem, eventMs, receivedMs, value: 20 + (i % 64) / 4 };
}

/** The UUIDv7 of row i: its receive time, then 74 bits of md5("v7:<i>") (deterministic, so SQL can build it too). */
function v7Id(i: number, receivedMs: number): string {
  const t = receivedMs.toString(16).padStart(12, "0");
  const h = hash("md5", `v7:${i}`, "hex");
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${h.slice(0, 3)}-8${h.slice(3, 6)}-${h.slice(6, 18)}`;
}

/** Whether row i carries a UUIDv7 id (else the device family's UUIDv5). */
export function isV7Row(i: number): boolean {
  return i % V7_EVERY === V7_EVERY - 1;
}

/** The event id of row i, as the envelope the writer stored carries it. */
export function eventIdOf(i: number): string {
  const f = rowFacts(i);
  return isV7Row(i) ? v7Id(i, f.receivedMs) : deterministicEventId(f.sourceSystem, f.device, i);
}

/** Encoded envelopes of rows `first … first + count - 1`, as collectors send them. */
export function benchEvents(first: number, count: number): { key: string; value: Uint8Array }[] {
  const events: { key: string; value: Uint8Array }[] = [];
  for (let i = first; i < first + count; i++) {
    const f = rowFacts(i);
    const message = create(TelemetrySchema, {
      deviceId: f.device,
      sequence: BigInt(i),
      readings: [{ metric: "temp", value: { case: "doubleValue", value: f.value }, unit: "Cel" }],
    });
    const envelope = isV7Row(i)
      ? createEnvelope({
          eventId: v7Id(i, f.receivedMs),
          eventType: DeviceEventType.telemetry,
          schemaVersion: deviceSchemaVersion,
          sourceSystem: f.sourceSystem,
          partitionKey: f.device,
          eventTime: new Date(f.eventMs),
          receivedTime: new Date(f.receivedMs),
          payloadSchema: TelemetrySchema,
          payload: message,
        })
      : createDeviceEnvelope({
          sourceSystem: f.sourceSystem,
          eventTime: new Date(f.eventMs),
          receivedTime: new Date(f.receivedMs),
          payload: { kind: "telemetry", message },
        });
    events.push({ key: f.device, value: encodeEnvelope(envelope) });
  }
  return events;
}

/**
 * The SHA-1 a UUIDv5 device event id of row `i` is cut from (as `deterministicEventId` makes
 * it: namespace bytes, then `source \0 device \0 sequence`), as column `h`.
 */
const V5_HASH = `sha1(unhex('${eventIdNamespace.replaceAll("-", "")}') || encode('plant-' || (i % ${SOURCE_SYSTEMS}) || chr(0) || 'dev-' || (i % ${DEVICES}) || chr(0) || i::VARCHAR)) AS h`;

/**
 * SQL expressions building row `i` (columns `i` and {@link V5_HASH}'s `h`) for the columns
 * the writer gives a telemetry row; `_source`, `_partition`, `_position` say where the row
 * came from instead (the bulk never went through Kafka).
 */
function bulkExpressions(topic: string): Record<string, string> {
  const ts = (ms: string) => `make_timestamptz((${ms}) * 1000)`;
  const v5Id = `substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-5' || substr(h, 14, 3) || '-' || translate(substr(h, 17, 1), '0123456789abcdef', '89ab89ab89ab89ab') || substr(h, 18, 3) || '-' || substr(h, 21, 12)`;
  const t = `lpad(printf('%x', ${FIRST_EVENT_MS + RECEIVE_DELAY_MS} + i * ${EVENT_SPACING_MS}), 12, '0')`;
  const m = "md5('v7:' || i::VARCHAR)";
  const v7 = `substr(${t}, 1, 8) || '-' || substr(${t}, 9, 4) || '-7' || substr(${m}, 1, 3) || '-8' || substr(${m}, 4, 3) || '-' || substr(${m}, 7, 12)`;
  return {
    event_id: `CASE WHEN i % ${V7_EVERY} = ${V7_EVERY - 1} THEN ${v7} ELSE ${v5Id} END`,
    event_type: `'${DeviceEventType.telemetry}'`,
    event_timestamp: ts(`${FIRST_EVENT_MS} + i * ${EVENT_SPACING_MS}`),
    received_timestamp: ts(`${FIRST_EVENT_MS + RECEIVE_DELAY_MS} + i * ${EVENT_SPACING_MS}`),
    schema_version: `'${deviceSchemaVersion}'`,
    source_system: `'plant-' || (i % ${SOURCE_SYSTEMS})`,
    partition_key: `'dev-' || (i % ${DEVICES})`,
    payload_type: `'${TelemetrySchema.typeName}'`,
    attributes: "'{}'",
    traceparent: "NULL",
    device_id: `'dev-' || (i % ${DEVICES})`,
    sequence: "i",
    readings: `'[{"metric":"temp","doubleValue":' || (20 + (i % 64) // 4)::VARCHAR || ['', '.25', '.5', '.75'][(i % 4) + 1] || ',"unit":"Cel","quality":"QUALITY_UNSPECIFIED"}]'`,
    payload: "NULL",
    _source: `'bulk:${topic}'`,
    _partition: "'bulk'",
    _position: "i",
  };
}

/** What was filled, and how fast. */
export interface LakeFill {
  readonly rows: number;
  readonly kafkaRows: number;
  readonly bulkRows: number;
  readonly table: string;
  /** Producing the Kafka part (encode + send, acks=all). */
  readonly produceSeconds: number;
  /** The lake writer draining the Kafka part: from its "listening" to its last commit. */
  readonly writerSeconds: number;
  readonly writerEventsPerSecond: number;
  readonly writerCores: number;
  /** All rows through Kafka and the writer at the measured rates: produce time plus drain time. */
  readonly allRowsThroughKafkaEstimateSeconds: number;
  readonly bulkSeconds: number;
  readonly bulkRowsPerSecond: number;
  readonly dataFiles: number;
  readonly dataBytes: number;
  readonly filledAt: string;
}

/** A filled lake on disk. */
export interface BenchLake {
  readonly dir: string;
  readonly config: LakeConfig;
  readonly fill: LakeFill;
  /** Whether it was filled by an earlier run. */
  readonly cached: boolean;
}

/** Rows through Kafka and the writer unless asked otherwise (the rest is bulk). */
export const DEFAULT_KAFKA_ROWS = 1_000_000;

/** Where the lake of `rows` rows is cached (`-kafka-<n>` when not filled the default way). */
export function benchLakeDir(rows: number, kafkaRows: number): string {
  const suffix = kafkaRows === Math.min(rows, DEFAULT_KAFKA_ROWS) ? "" : `-kafka-${kafkaRows}`;
  return join(cacheRoot(), "bench", `query-api-${rows}${suffix}`);
}

/**
 * The cached lake of `rows` rows of which the first `kafkaRows` went through Kafka and the
 * writer; filled now when missing or filled another way (Kafka at `bootstrap`).
 */
export async function benchLake(
  rows: number,
  kafkaRows: number,
  bootstrap: () => Promise<string>,
): Promise<BenchLake> {
  const dir = benchLakeDir(rows, kafkaRows);
  const config: LakeConfig = {
    catalog: { kind: "sqlite", path: join(dir, "catalog.sqlite") },
    dataPath: join(dir, "data"),
  };
  const manifestPath = join(dir, "filled.json");
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { version: number; fill: LakeFill };
    if (manifest.version === LAYOUT_VERSION && manifest.fill.kafkaRows === kafkaRows)
      return { dir, config, fill: manifest.fill, cached: true };
  }
  // Missing, half filled by an interrupted run, or filled another way: start over.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const fill = await fillLake(dir, config, rows, kafkaRows, await bootstrap());
  writeFileSync(manifestPath, `${JSON.stringify({ version: LAYOUT_VERSION, fill }, null, 2)}\n`);
  return { dir, config, fill, cached: false };
}

/** Produces rows `first …` to a fresh topic in chunks (never all envelopes in memory at once). */
export async function produceBenchEvents(
  bootstrap: string,
  topic: string,
  first: number,
  count: number,
): Promise<void> {
  const chunk = 50_000;
  for (let start = first; start < first + count; start += chunk)
    await produce(bootstrap, topic, benchEvents(start, Math.min(chunk, first + count - start)));
}

/** One drain by the lake writer. */
export interface WriterRun {
  /** From its "listening" line to its last commit. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** CPU of the writer process (all threads) over the drain, in cores. */
  readonly writerCores: number;
  /** Busy cores of the whole box over the drain (every process). */
  readonly boxBusyCores: number;
  /** Still running: the caller stops it. */
  readonly writer: NodeService;
}

/** Runs the lake writer's `main.ts` on `topic` into the lake in `dir` until it committed `count` rows. */
export async function runWriter(
  bootstrap: string,
  topic: string,
  dir: string,
  count: number,
  extraEnv: Record<string, string> = {},
): Promise<WriterRun> {
  const writer = await startNodeService({
    name: "lake-writer",
    script: LAKE_WRITER_MAIN,
    env: {
      ...lakeWriterEnv({ bootstrap, topic, dir, groupId: uniqueName("bench-query-writer") }),
      // startNodeService reads the "listening" line, logged at info.
      LANGTIAN_LAKE_WRITER_LOG_LEVEL: "info",
      ...extraEnv,
    },
    logFile: join(dir, "lake-writer.log"),
    readyTimeoutMs: 120_000,
  });
  const started = performance.now();
  const boxStarted = boxBusySeconds();
  const cpuStarted = cpuSeconds(writer.process.pid);
  try {
    await waitFor(
      async () =>
        (sumMetric(await writer.metricsText(), "langtian_lake_writer_rows_written_total") ?? 0) >= count
          ? true
          : undefined,
      { what: `the lake writer to commit ${count} events`, timeoutMs: 3_600_000, intervalMs: 100 },
    );
  } catch (err) {
    await writer.process.kill();
    throw err;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds,
    eventsPerSecond: Math.round(count / seconds),
    writerCores: round2((cpuSeconds(writer.process.pid) - cpuStarted) / seconds),
    boxBusyCores: round2((boxBusySeconds() - boxStarted) / seconds),
    writer,
  };
}

async function fillLake(
  dir: string,
  config: LakeConfig,
  rows: number,
  kafkaRows: number,
  bootstrap: string,
): Promise<LakeFill> {
  const topic = uniqueName("bench-query-lake");
  await createTopic(bootstrap, topic, 4);
  const produceStarted = performance.now();
  await produceBenchEvents(bootstrap, topic, 0, kafkaRows);
  const produceSeconds = (performance.now() - produceStarted) / 1000;
  const drain = await runWriter(bootstrap, topic, dir, kafkaRows);
  await drain.writer.process.kill();

  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const c = await instance.connect();
  try {
    await attachLake(c, config, await provisionDuckdbExtensions());
    await c.run("LOAD icu");
    await c.run("SET TimeZone = 'UTC'");
    const tables = (
      await c.runAndReadAll(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake' AND schema_name = 'main' AND table_name LIKE 'device_telemetry%'",
      )
    ).getRows();
    const table = String(tables[0]?.[0] ?? "");
    if (tables.length !== 1) throw new Error(`expected one telemetry table, found ${tables.length}`);
    const columns = (await c.runAndReadAll(`DESCRIBE lake.${table}`)).getRows().map((r) => String(r[0]));
    const all = bulkExpressions(topic);
    const unknown = columns.filter((name) => !(name in all));
    if (unknown.length > 0)
      throw new Error(`the writer's table has columns the bulk does not fill: ${unknown.join(", ")}`);
    const select = (from: number, to: number) =>
      `SELECT ${columns.map((name) => `${all[name]} AS "${name}"`).join(", ")} FROM (SELECT i, ${V5_HASH} FROM (SELECT range AS i FROM range(${from}, ${to})))`;
    // The generated rows equal the writer's rows for the same events (origin columns aside).
    const compared = columns
      .filter((name) => !name.startsWith("_"))
      .map((name) => `"${name}"`)
      .join(", ");
    const checkRows = Math.min(kafkaRows, 20_000);
    const differing = Number(
      (
        await c.runAndReadAll(
          `SELECT count(*) FROM (SELECT ${compared} FROM (${select(0, checkRows)}) EXCEPT ` +
            `SELECT ${compared} FROM lake.${table} WHERE _position IS NOT NULL AND event_timestamp < make_timestamptz(${eventMsOf(checkRows) * 1000}))`,
        )
      ).getRows()[0]?.[0],
    );
    if (differing !== 0)
      throw new Error(`${differing} of ${checkRows} generated rows differ from the lake writer's rows`);
    const bulkStarted = performance.now();
    for (let from = kafkaRows; from < rows; from += BULK_CHUNK)
      await c.run(`INSERT INTO lake.${table} ${select(from, Math.min(rows, from + BULK_CHUNK))}`);
    const bulkSeconds = (performance.now() - bulkStarted) / 1000;
    const stored = Number((await c.runAndReadAll(`SELECT count(*) FROM lake.${table}`)).getRows()[0]?.[0]);
    if (stored !== rows) throw new Error(`the lake holds ${stored} rows, not ${rows}`);
    const files = (
      await c.runAndReadAll(
        `SELECT count(*), sum(data_file_size_bytes) FROM ducklake_list_files('lake', '${table}')`,
      )
    ).getRows()[0];
    const bulkRows = rows - kafkaRows;
    return {
      rows,
      kafkaRows,
      bulkRows,
      table,
      produceSeconds: round2(produceSeconds),
      writerSeconds: round2(drain.seconds),
      writerEventsPerSecond: drain.eventsPerSecond,
      writerCores: drain.writerCores,
      allRowsThroughKafkaEstimateSeconds: Math.round((rows * (produceSeconds + drain.seconds)) / kafkaRows),
      bulkSeconds: round2(bulkSeconds),
      bulkRowsPerSecond: bulkRows === 0 ? 0 : Math.round(bulkRows / bulkSeconds),
      dataFiles: Number(files?.[0] ?? 0),
      dataBytes: Number(files?.[1] ?? 0),
      filledAt: new Date().toISOString(),
    };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
