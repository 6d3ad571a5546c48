import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { create, toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { attachLake, lakeConfigFrom, quoteString, requireDuckdbExtensions } from "@langtian/lake";
import { ExportFormat, type ExportRequest, QueryService } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { tempDir, waitFor } from "@langtian/testing";
import { tableFromIPC } from "apache-arrow";
import { createApp, type QueryApiApp } from "../src/app.ts";
import { FIRST_EVENT_MS, startWrittenLake, type WrittenLake } from "../src/testing/index.ts";

const EVENTS = 5_000;

/** An export request as the client takes it. */
type PartialExport = Parameters<Client<typeof QueryService>["export"]>[0];

/** `Export` on a lake a real lake writer wrote, each file read back by independent readers. */
describe("query API Export (real lake writer, SQLite catalog)", () => {
  let lake: WrittenLake;
  let app: QueryApiApp;
  let client: Client<typeof QueryService>;
  let table: string;
  let columns: string[];
  /** A plain DuckDB, not the service's: the independent reader of CSV, NDJSON and Parquet. */
  let reader: DuckDBConnection;
  let readerInstance: DuckDBInstance;
  let files: string;
  let serviceTemp: string;
  /** event_id, event_timestamp (RFC 3339) and _position (a BIGINT) of the first events in order. */
  let expected: { id: string; ts: string; position: string }[];

  before(async () => {
    await provisionDuckdbExtensions();
    lake = await startWrittenLake(EVENTS);
    const config = lake.queryApiConfig();
    serviceTemp = config.sandbox.tempDir;
    app = createApp(config);
    await app.start();
    const { url } = await app.service.listen();
    client = createClient(QueryService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
    const tables = await client.listTables({});
    table = tables.tables.find((t) => t.eventTable)?.name ?? assert.fail("no event table");
    columns = (await client.describeTable({ table })).columns.map((c) => c.name);
    readerInstance = await DuckDBInstance.create(":memory:");
    reader = await DuckDBConnection.create(readerInstance);
    await reader.run("SET TimeZone = 'UTC'");
    files = tempDir("query-api-export");
    expected = [];
    for await (const part of client.sql({
      sql: `SELECT event_id, event_timestamp, _position FROM lake.${table} ORDER BY event_timestamp, event_id LIMIT 3`,
    })) {
      if (part.part.case !== "rows") continue;
      for (const row of part.part.value.rows) {
        const [id, ts, position] = row.cells.map((c) => toJson(ValueSchema, c));
        expected.push({ id: String(id), ts: String(ts), position: String(position) });
      }
    }
  });
  after(async () => {
    reader?.closeSync();
    readerInstance?.closeSync();
    await app?.stop();
    await lake?.stop();
  });

  const exportBytes = async (request: PartialExport): Promise<{ bytes: Buffer; chunks: number[] }> => {
    const parts: Uint8Array[] = [];
    for await (const response of client.export(request)) parts.push(response.data);
    return { bytes: Buffer.concat(parts), chunks: parts.map((p) => p.byteLength) };
  };
  const save = (name: string, bytes: Buffer): string => {
    const path = join(files, name);
    writeFileSync(path, bytes);
    return path;
  };
  const rowsOf = async (sql: string) => (await reader.runAndReadAll(sql)).getRows();
  const micros = (rfc3339: string): bigint => {
    const [whole, fraction = "0"] = rfc3339.replace("Z", "").split(".");
    return BigInt(Date.parse(`${whole}Z`)) * 1000n + BigInt(fraction.padEnd(6, "0").slice(0, 6));
  };
  const browseSource = (): ExportRequest["source"] => ({ case: "browse", value: { table } as never });
  const sqlSource = (): ExportRequest["source"] => ({
    case: "sql",
    value: {
      sql: `SELECT event_id, event_timestamp, _position, source_system FROM lake.${table} WHERE source_system = $system ORDER BY event_timestamp, event_id`,
      params: { system: create(ValueSchema, { kind: { case: "stringValue", value: "plant-a" } }) },
    } as never,
  });
  const sqlColumns = ["event_id", "event_timestamp", "_position", "source_system"];

  it("the first events are 1 ms apart from the first event time", () => {
    assert.equal(expected.length, 3);
    assert.equal(expected[0]?.ts, "2026-11-27T12:00:00.000000Z");
    assert.equal(micros(expected[1]?.ts ?? ""), BigInt(FIRST_EVENT_MS + 1) * 1000n);
  });

  it("exports CSV (RFC 4180, RFC 3339 timestamps) that DuckDB reads back", async () => {
    const { bytes, chunks } = await exportBytes({ source: browseSource(), format: ExportFormat.CSV });
    assert.ok(
      chunks.slice(0, -1).every((n) => n >= 64 * 1024 && n <= 256 * 1024),
      `chunks ${chunks}`,
    );
    assert.equal(bytes.toString("utf8").split("\r\n")[0], columns.join(","), "header line, CRLF");
    const path = save("browse.csv", bytes);
    const read = `read_csv(${quoteString(path)}, header = true, all_varchar = true)`;
    assert.deepEqual(
      (await rowsOf(`DESCRIBE SELECT * FROM ${read}`)).map((r) => r[0]),
      columns,
    );
    assert.equal(Number((await rowsOf(`SELECT count(*) FROM ${read}`))[0]?.[0]), EVENTS);
    const first = await rowsOf(`SELECT event_id, event_timestamp, _position FROM ${read} LIMIT 3`);
    assert.deepEqual(
      first.map((r) => ({ id: r[0], ts: r[1], position: r[2] })),
      expected,
    );

    const sql = await exportBytes({ source: sqlSource(), format: ExportFormat.CSV });
    const sqlPath = save("sql.csv", sql.bytes);
    const typed = `read_csv(${quoteString(sqlPath)}, header = true)`;
    assert.deepEqual(
      (await rowsOf(`DESCRIBE SELECT * FROM ${typed}`)).map((r) => r[0]),
      sqlColumns,
    );
    const [count, distinct] =
      (await rowsOf(`SELECT count(*), count(DISTINCT source_system) FROM ${typed}`))[0] ?? [];
    assert.equal(Number(count), EVENTS / 2);
    assert.equal(Number(distinct), 1);
    const row = (
      await rowsOf(`SELECT event_id, epoch_us(event_timestamp::TIMESTAMPTZ), _position FROM ${typed} LIMIT 1`)
    )[0];
    assert.deepEqual(
      [String(row?.[0]), row?.[1], String(row?.[2])],
      [expected[0]?.id, micros(expected[0]?.ts ?? ""), expected[0]?.position],
    );
  });

  it("exports NDJSON that DuckDB reads back", async () => {
    const { bytes } = await exportBytes({ source: browseSource(), format: ExportFormat.NDJSON });
    const path = save("browse.ndjson", bytes);
    const read = `read_json(${quoteString(path)}, format = 'newline_delimited')`;
    assert.deepEqual(
      (await rowsOf(`DESCRIBE SELECT * FROM ${read}`)).map((r) => r[0]),
      columns,
    );
    assert.equal(Number((await rowsOf(`SELECT count(*) FROM ${read}`))[0]?.[0]), EVENTS);
    const first = await rowsOf(
      `SELECT json ->> 'event_id', json ->> 'event_timestamp', json ->> '_position' FROM read_ndjson_objects(${quoteString(path)}) LIMIT 3`,
    );
    assert.deepEqual(
      first.map((r) => ({ id: r[0], ts: r[1], position: r[2] })),
      expected,
    );

    const sql = await exportBytes({ source: sqlSource(), format: ExportFormat.NDJSON });
    const sqlRead = `read_json(${quoteString(save("sql.ndjson", sql.bytes))}, format = 'newline_delimited')`;
    assert.deepEqual(
      (await rowsOf(`DESCRIBE SELECT * FROM ${sqlRead}`)).map((r) => r[0]),
      sqlColumns,
    );
    assert.equal(
      Number((await rowsOf(`SELECT count(*) FROM ${sqlRead} WHERE source_system = 'plant-a'`))[0]?.[0]),
      EVENTS / 2,
    );
    const row = (
      await rowsOf(
        `SELECT event_id, epoch_us(event_timestamp::TIMESTAMPTZ), _position FROM ${sqlRead} LIMIT 1`,
      )
    )[0];
    assert.deepEqual(
      [String(row?.[0]), row?.[1], String(row?.[2])],
      [expected[0]?.id, micros(expected[0]?.ts ?? ""), expected[0]?.position],
    );
  });

  it("exports Parquet that DuckDB reads back, with native types", async () => {
    const { bytes } = await exportBytes({ source: browseSource(), format: ExportFormat.PARQUET });
    const read = `read_parquet(${quoteString(save("browse.parquet", bytes))})`;
    const described = await rowsOf(`DESCRIBE SELECT * FROM ${read}`);
    assert.deepEqual(
      described.map((r) => r[0]),
      columns,
    );
    assert.equal(described.find((r) => r[0] === "event_timestamp")?.[1], "TIMESTAMP WITH TIME ZONE");
    assert.equal(Number((await rowsOf(`SELECT count(*) FROM ${read}`))[0]?.[0]), EVENTS);
    const first = await rowsOf(`SELECT event_id, epoch_us(event_timestamp), _position FROM ${read} LIMIT 3`);
    assert.deepEqual(
      first.map((r) => [String(r[0]), r[1], String(r[2])]),
      expected.map((e) => [e.id, micros(e.ts), e.position]),
    );

    const sql = await exportBytes({ source: sqlSource(), format: ExportFormat.PARQUET });
    const sqlRead = `read_parquet(${quoteString(save("sql.parquet", sql.bytes))})`;
    assert.deepEqual(
      (await rowsOf(`DESCRIBE SELECT * FROM ${sqlRead}`)).map((r) => r[0]),
      sqlColumns,
    );
    assert.equal(
      Number((await rowsOf(`SELECT count(*) FROM ${sqlRead} WHERE source_system = 'plant-a'`))[0]?.[0]),
      EVENTS / 2,
    );
  });

  it("exports an Arrow IPC stream that apache-arrow reads back", async () => {
    const { bytes } = await exportBytes({ source: browseSource(), format: ExportFormat.ARROW_IPC });
    const arrow = tableFromIPC(bytes);
    assert.equal(arrow.numRows, EVENTS);
    assert.deepEqual(
      arrow.schema.fields.map((f) => f.name),
      columns,
    );
    const ts = arrow.schema.fields.find((f) => f.name === "event_timestamp");
    assert.equal(String(ts?.type), "Timestamp<MICROSECOND, UTC>");
    for (const [i, e] of expected.entries()) {
      assert.equal(arrow.getChild("event_id")?.get(i), e.id);
      // apache-arrow reads timestamps as epoch milliseconds.
      assert.equal(Number(arrow.getChild("event_timestamp")?.get(i)), Number(micros(e.ts) / 1000n));
      assert.equal(String(arrow.getChild("_position")?.get(i)), e.position);
    }

    const sql = tableFromIPC(
      (await exportBytes({ source: sqlSource(), format: ExportFormat.ARROW_IPC })).bytes,
    );
    assert.equal(sql.numRows, EVENTS / 2);
    assert.deepEqual(
      sql.schema.fields.map((f) => f.name),
      sqlColumns,
    );
    assert.equal(sql.getChild("event_id")?.get(0), expected[0]?.id);
    assert.deepEqual(new Set(sql.getChild("source_system")?.toArray()), new Set(["plant-a"]));
  });

  it("counts exported rows in rows_returned_total{rpc=Export}", async () => {
    const metric = await app.metrics.rowsReturned.get();
    const exported = metric.values.find((v) => v.labels.rpc === "Export")?.value ?? 0;
    assert.ok(exported >= 4 * (EVENTS + EVENTS / 2), `exported ${exported}`);
  });

  it("a cancelled export interrupts DuckDB and leaves no file in the temp folder", async () => {
    const exportFiles = () => readdirSync(serviceTemp).filter((f) => f.startsWith("export-"));
    const abort = new AbortController();
    let sawFile = false;
    await assert.rejects(async () => {
      for await (const _ of client.export(
        {
          source: {
            case: "sql",
            value: { sql: `SELECT e.*, r.range AS copy FROM lake.${table} e, range(100) r` } as never,
          },
          format: ExportFormat.PARQUET,
        },
        { signal: abort.signal },
      )) {
        sawFile ||= exportFiles().length > 0;
        abort.abort();
      }
    });
    assert.ok(sawFile, "the file existed while it streamed");
    await waitFor(async () => (exportFiles().length === 0 ? true : undefined), {
      what: "the export file to go",
      timeoutMs: 10_000,
      intervalMs: 50,
    });
  });

  it("refuses bad requests with invalid_argument", async () => {
    const refused = async (request: PartialExport, why: string) =>
      assert.rejects(
        exportBytes(request),
        (err: unknown) => err instanceof ConnectError && err.code === Code.InvalidArgument,
        why,
      );
    await refused({ source: { case: undefined }, format: ExportFormat.CSV }, "no source");
    await refused({ source: browseSource(), format: ExportFormat.UNSPECIFIED }, "no format");
    await refused({ source: browseSource(), format: 42 as ExportFormat }, "unknown format");
    for (const sql of [
      `COPY (SELECT 1) TO '/tmp/x.csv'`,
      `SELECT * FROM read_text('/etc/passwd')`,
      "ATTACH '/tmp/x.db' AS x",
    ])
      await refused({ source: { case: "sql", value: { sql } as never }, format: ExportFormat.PARQUET }, sql);
    await refused(
      { source: { case: "sql", value: { sql: "SELECT $x::INT AS x" } as never }, format: ExportFormat.CSV },
      "missing parameter",
    );
    await refused(
      {
        source: { case: "sql", value: { sql: "SELECT 1 AS x" } as never },
        format: ExportFormat.CSV,
        at: { at: { case: "snapshotId", value: 1n } },
      },
      "at with a SQL source",
    );
  });

  it("measures rows/s of each format beside DuckDB's own COPY to Parquet", async (t) => {
    const sql = `SELECT e.*, r.range AS copy FROM lake.${table} e, range(20) r`;
    const rows = EVENTS * 20;
    const rates: Record<string, number> = {};
    for (const [name, format] of Object.entries({
      csv: ExportFormat.CSV,
      ndjson: ExportFormat.NDJSON,
      parquet: ExportFormat.PARQUET,
      arrow: ExportFormat.ARROW_IPC,
    })) {
      const started = performance.now();
      const { bytes } = await exportBytes({ source: { case: "sql", value: { sql } as never }, format });
      const seconds = (performance.now() - started) / 1000;
      rates[name] = rows / seconds;
      t.diagnostic(
        `${name}: ${rows} rows, ${bytes.byteLength} bytes in ${seconds.toFixed(3)} s = ${Math.round(rows / seconds)} rows/s`,
      );
    }
    // The baseline: a plain DuckDB with the lake attached read-only, COPY … TO parquet.
    const config = lake.queryApiConfig();
    const instance = await DuckDBInstance.create(":memory:", { threads: String(config.sandbox.threads) });
    const c = await DuckDBConnection.create(instance);
    try {
      await attachLake(
        c,
        lakeConfigFrom(config.lake),
        await requireDuckdbExtensions(config.lake.extensionDir),
        {
          readOnly: true,
        },
      );
      const target = join(files, "baseline.parquet");
      const started = performance.now();
      await c.run(`COPY (${sql}) TO ${quoteString(target)} (FORMAT parquet)`);
      const seconds = (performance.now() - started) / 1000;
      t.diagnostic(
        `DuckDB COPY TO parquet: ${rows} rows in ${seconds.toFixed(3)} s = ${Math.round(rows / seconds)} rows/s`,
      );
    } finally {
      c.closeSync();
      instance.closeSync();
    }
    assert.ok(Object.values(rates).every((r) => r > 0));
  });
});
