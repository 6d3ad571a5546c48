import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { quoteString } from "@langtian/lake";
import type { ExportQuery } from "./export-query.ts";
import { exportWithCopy, FileFormat } from "./file-export.ts";

/** DuckDB's own writers behind CSV, NDJSON and Parquet, on an in-memory DuckDB. */
describe("exportWithCopy", () => {
  let instance: DuckDBInstance;
  let c: DuckDBConnection;
  let temp: string;
  before(async () => {
    temp = mkdtempSync(join(tmpdir(), "langtian-file-export-"));
    instance = await DuckDBInstance.create(":memory:", { temp_directory: temp });
    c = await DuckDBConnection.create(instance);
    await c.run("SET TimeZone = 'UTC'");
  });
  after(() => {
    c?.closeSync();
    instance?.closeSync();
    rmSync(temp, { recursive: true, force: true });
  });

  const queryOf = async (sql: string, params: ExportQuery["params"] = {}): Promise<ExportQuery> => {
    const probe = await c.prepare(`SELECT * FROM (${sql}) LIMIT 0`);
    if (Object.keys(params).length > 0) probe.bind(params);
    const result = await probe.run();
    probe.destroySync();
    return { sql, params, columnNames: result.columnNames(), columnTypes: result.columnTypes() };
  };
  const exportText = async (sql: string, format: FileFormat, params: ExportQuery["params"] = {}) => {
    const parts: Uint8Array[] = [];
    const rows = await exportWithCopy(
      c,
      await queryOf(sql, params),
      format,
      async (bytes) => {
        parts.push(bytes);
      },
      new AbortController().signal,
    );
    return { rows, text: Buffer.concat(parts).toString("utf8") };
  };
  const exportFiles = () => readdirSync(temp).filter((f) => f.startsWith("export-"));
  const values = `SELECT * FROM (VALUES
      (1, 'a,"b"', TIMESTAMPTZ '2026-11-27 12:00:00.000123+00', '\\x00\\xFF'::BLOB, [1, 2], {'k': 'v'}, 12.50::DECIMAL(9,2)),
      (2, NULL, NULL, NULL, NULL, NULL, NULL)
    ) AS t(n, s, ts, blob, list, struct, dec)`;

  it("writes RFC 4180 CSV: header, CRLF, quoting, RFC 3339 timestamps, base64 BLOBs, nested values as JSON", async () => {
    const { rows, text } = await exportText(values, FileFormat.csv);
    assert.equal(rows, 2n);
    assert.equal(
      text,
      'n,s,ts,blob,list,struct,dec\r\n1,"a,""b""",2026-11-27T12:00:00.000123Z,AP8=,"[1,2]","{""k"":""v""}",12.50\r\n2,,,,,,\r\n',
    );
    assert.deepEqual(exportFiles(), [], "the file is gone");
  });

  it("writes NDJSON with nested values kept nested", async () => {
    const { text } = await exportText(values, FileFormat.ndjson);
    const lines = text.trimEnd().split("\n");
    assert.deepEqual(JSON.parse(lines[0] ?? ""), {
      n: 1,
      s: 'a,"b"',
      ts: "2026-11-27T12:00:00.000123Z",
      blob: "AP8=",
      list: [1, 2],
      struct: { k: "v" },
      dec: 12.5,
    });
    assert.equal(JSON.parse(lines[1] ?? "").s, null);
  });

  it("binds parameters, also those the result types depend on, and streams a large file in order", async () => {
    const { rows, text } = await exportText(
      "SELECT range AS n, $label AS label FROM range($count)",
      FileFormat.csv,
      {
        count: 200_000,
        label: "x",
      },
    );
    assert.equal(rows, 200_000n);
    const lines = text.split("\r\n");
    assert.equal(lines.length, 200_002);
    assert.equal(lines[1], "0,x");
    assert.equal(lines[200_000], "199999,x");
  });

  it("writes Parquet that DuckDB reads back", async () => {
    const parts: Uint8Array[] = [];
    await exportWithCopy(
      c,
      await queryOf(values),
      FileFormat.parquet,
      async (b) => {
        parts.push(b);
      },
      new AbortController().signal,
    );
    const path = join(temp, "check.parquet");
    writeFileSync(path, Buffer.concat(parts));
    const read = await c.runAndReadAll(
      `SELECT n, epoch_us(ts), dec::VARCHAR FROM read_parquet(${quoteString(path)}) ORDER BY n`,
    );
    assert.deepEqual(read.getRows()[0], [1, BigInt(Date.UTC(2026, 10, 27, 12)) * 1000n + 123n, "12.50"]);
    rmSync(path);
  });

  it("streams a Parquet file of several row groups while DuckDB writes it, readable whole", async () => {
    const parts: Uint8Array[] = [];
    const rows = await exportWithCopy(
      c,
      await queryOf("SELECT range AS n, md5(range::VARCHAR) AS h FROM range(1000000)"),
      FileFormat.parquet,
      async (b) => {
        parts.push(b);
      },
      new AbortController().signal,
    );
    assert.equal(rows, 1_000_000n);
    const path = join(temp, "large.parquet");
    writeFileSync(path, Buffer.concat(parts));
    const groups = await c.runAndReadAll(
      `SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${quoteString(path)})`,
    );
    assert.ok(Number(groups.getRows()[0]?.[0]) > 1, "several row groups");
    const read = await c.runAndReadAll(
      `SELECT count(*), sum(n), max(h) = max(md5(n::VARCHAR)) FROM read_parquet(${quoteString(path)})`,
    );
    assert.deepEqual(read.getRows()[0], [1_000_000n, 499_999_500_000n, true]);
    rmSync(path);
  });

  it("removes the file when the statement fails midway or the reader stops", async () => {
    await assert.rejects(
      exportText(
        "SELECT range, CASE WHEN range = 150000 THEN error('boom') END AS e FROM range(300000)",
        FileFormat.csv,
      ),
      /boom/,
    );
    assert.deepEqual(exportFiles(), []);
    const stop = new AbortController();
    await assert.rejects(
      exportWithCopy(
        c,
        await queryOf("SELECT range, repeat('x', 100) AS pad FROM range(2000000)"),
        FileFormat.csv,
        async () => {
          stop.abort(new Error("the client went away"));
        },
        stop.signal,
      ),
      /went away/,
    );
    assert.deepEqual(exportFiles(), []);
  });
});
