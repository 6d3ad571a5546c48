import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { Decimal, tableFromIPC } from "apache-arrow";
import { exportArrow } from "./arrow-export.ts";
import { createChunkSink, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES } from "./chunk-sink.ts";
import type { ExportQuery } from "./export-query.ts";

/** The Arrow IPC writer on an in-memory DuckDB, read back with apache-arrow's reader. */
describe("exportArrow", () => {
  let instance: DuckDBInstance;
  let c: DuckDBConnection;
  before(async () => {
    instance = await DuckDBInstance.create(":memory:");
    c = await DuckDBConnection.create(instance);
    await c.run("SET TimeZone = 'UTC'");
  });
  after(() => {
    c?.closeSync();
    instance?.closeSync();
  });

  // exportArrow reads the columns from the result itself.
  const queryOf = (sql: string, params: ExportQuery["params"]): ExportQuery => ({
    sql,
    params,
    columnNames: [],
    columnTypes: [],
  });
  const run = async (sql: string, params: ExportQuery["params"] = {}) => {
    const parts: Uint8Array[] = [];
    const rows = await exportArrow(
      c,
      queryOf(sql, params),
      async (bytes) => {
        parts.push(bytes);
      },
      new AbortController().signal,
    );
    return { rows, table: tableFromIPC(Buffer.concat(parts)) };
  };

  it("maps DuckDB types to Arrow types and keeps values and nulls", async () => {
    const { rows, table } = await run(
      `SELECT * FROM (VALUES
        (true, 1::TINYINT, 2::SMALLINT, 3::INTEGER, 4::BIGINT, 5::UBIGINT, 1.5::FLOAT, 2.25::DOUBLE, 'héllo, "x"',
         TIMESTAMPTZ '2026-11-27 12:00:00.000123+00', TIMESTAMP '2026-11-27 12:00:00.5', DATE '2026-11-27',
         -12345.67::DECIMAL(18,2), '\\x00\\xFF'::BLOB, [1, 2], {'k': 'v'}, '00000000-0000-7000-8000-000000000001'::UUID,
         170141183460469231731687303715884105727::HUGEINT),
        (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
      ) AS t(b, i8, i16, i32, i64, u64, f32, f64, s, tstz, ts, d, dec, blob, list, struct, uuid, huge)`,
    );
    assert.equal(rows, 2n);
    assert.equal(table.numRows, 2);
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    assert.deepEqual(types, {
      b: "Bool",
      i8: "Int8",
      i16: "Int16",
      i32: "Int32",
      i64: "Int64",
      u64: "Uint64",
      f32: "Float32",
      f64: "Float64",
      s: "Utf8",
      tstz: "Timestamp<MICROSECOND, UTC>",
      ts: "Timestamp<MICROSECOND>",
      d: "Date32<DAY>",
      dec: String(new Decimal(2, 18, 128)),
      blob: "Binary",
      list: "Utf8",
      struct: "Utf8",
      uuid: "Utf8",
      huge: "Utf8",
    });
    const first = table.get(0)?.toJSON() as Record<string, unknown>;
    assert.equal(first.b, true);
    assert.equal(first.i32, 3);
    assert.equal(first.i64, 4n);
    assert.equal(first.f64, 2.25);
    assert.equal(first.s, 'héllo, "x"');
    // apache-arrow reads timestamps as epoch milliseconds; the microseconds are in the data.
    assert.equal(first.tstz, Date.UTC(2026, 10, 27, 12) + 0.123);
    assert.equal(
      table.getChild("tstz")?.data[0]?.values[0],
      BigInt(Date.UTC(2026, 10, 27, 12)) * 1000n + 123n,
    );
    assert.equal(first.ts, Date.UTC(2026, 10, 27, 12, 0, 0, 500));
    assert.equal(first.d, Date.UTC(2026, 10, 27));
    const dec = table.getChild("dec")?.data[0]?.values as Uint32Array;
    assert.equal(BigInt.asIntN(64, (BigInt(dec[1] ?? 0) << 32n) | BigInt(dec[0] ?? 0)), -1234567n);
    assert.deepEqual([...(first.blob as Uint8Array)], [0, 255]);
    assert.equal(first.list, "[1,2]");
    assert.equal(first.struct, '{"k":"v"}');
    assert.equal(first.uuid, "00000000-0000-7000-8000-000000000001");
    assert.equal(first.huge, "170141183460469231731687303715884105727");
    const second = table.get(1)?.toJSON() as Record<string, unknown>;
    for (const name of Object.keys(types)) assert.equal(second[name], null, name);
  });

  it("writes one record batch per DuckDB chunk, with bound parameters", async () => {
    const { rows, table } = await run("SELECT range AS n, 'x' || range AS s FROM range($count)", {
      count: 10_000,
    });
    assert.equal(rows, 10_000n);
    assert.equal(table.numRows, 10_000);
    assert.ok(table.batches.length >= 5, `${table.batches.length} batches`);
    assert.equal(table.getChild("n")?.get(9_999), 9_999n);
    assert.equal(table.getChild("s")?.get(1234), "x1234");
  });

  it("writes an empty result as a schema and no batches", async () => {
    const { rows, table } = await run("SELECT 1 AS a WHERE false");
    assert.equal(rows, 0n);
    assert.equal(table.numRows, 0);
    assert.deepEqual(
      table.schema.fields.map((f) => f.name),
      ["a"],
    );
  });
});

describe("createChunkSink", () => {
  it("gathers small writes and splits large ones into 64–256 KiB chunks", async () => {
    const chunks: number[] = [];
    const sink = createChunkSink(async (chunk) => {
      chunks.push(chunk.byteLength);
    });
    for (let i = 0; i < 100; i++) await sink.write(new Uint8Array(1000));
    await sink.write(new Uint8Array(MAX_CHUNK_BYTES * 2 + 10));
    await sink.write(new Uint8Array(5));
    await sink.flush();
    const total = chunks.reduce((a, b) => a + b, 0);
    assert.equal(total, 100 * 1000 + MAX_CHUNK_BYTES * 2 + 15);
    for (const size of chunks.slice(0, -1))
      assert.ok(size >= MIN_CHUNK_BYTES && size <= MAX_CHUNK_BYTES, `${size}`);
  });
});
