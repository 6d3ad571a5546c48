import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { TableSpec } from "../tables/table-manager.ts";
import { stageRows } from "./batch-writer.ts";
import type { CellValue } from "./columns.ts";

const spec: TableSpec = {
  name: "staged",
  columns: [
    { name: "kind", type: "VARCHAR" },
    { name: "id", type: "VARCHAR" },
    { name: "attributes", type: "JSON" },
    { name: "maybe", type: "VARCHAR" },
    { name: "n", type: "BIGINT" },
  ],
};

describe("stageRows", () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  before(async () => {
    instance = await DuckDBInstance.create(":memory:");
    connection = await instance.connect();
  });
  after(() => {
    connection.closeSync();
    instance.closeSync();
  });

  it("stages constant and varying text columns across chunk boundaries exactly", async () => {
    // 5000 rows = three data chunks: the first all "a", the second switching to "b" midway,
    // the third all "b"; `maybe` is null in the first chunk, then a mix of null and text.
    const rows: CellValue[][] = [];
    for (let i = 0; i < 5000; i++) {
      rows.push([
        i < 3000 ? "a" : "b",
        `id-${i}`,
        "{}",
        i < 2048 ? null : i % 2 === 0 ? "x" : null,
        BigInt(i),
      ]);
    }
    await stageRows(connection, "staged", { spec, rows });
    const reader = await connection.runAndReadAll(
      "SELECT kind, id, attributes, maybe, n FROM temp.main.staged ORDER BY n",
    );
    assert.deepEqual(reader.getRows(), rows);
  });

  it("stages every column type, NULLs and text around the inline limit exactly", async () => {
    const typed: TableSpec = {
      name: "typed",
      columns: [
        { name: "text", type: "VARCHAR" },
        { name: "blob", type: "BLOB" },
        { name: "big", type: "BIGINT" },
        { name: "int", type: "INTEGER" },
        { name: "dbl", type: "DOUBLE" },
        { name: "flag", type: "BOOLEAN" },
        { name: "ts", type: "TIMESTAMPTZ" },
      ],
    };
    // Texts of 0, 11, 12 and 13 ASCII bytes, short ones with multi-byte UTF-8 (2 and 4 bytes
    // per character), a long one, and numbers given as text; every column NULL every 7th row.
    const texts = [
      "",
      "a".repeat(11),
      "b".repeat(12),
      "c".repeat(13),
      "é",
      "日本",
      "😀x",
      "ü".repeat(7),
      "x".repeat(300),
    ];
    const rows: CellValue[][] = [];
    const expected: unknown[][] = [];
    for (let i = 0; i < 4500; i++) {
      if (i % 7 === 3) {
        rows.push([null, null, null, null, null, null, null]);
        expected.push([i, null, null, null, null, null, null, null]);
        continue;
      }
      const text = texts[i % texts.length] as string;
      const blob = new TextEncoder().encode(`b${i}`);
      const big = i % 2 === 0 ? BigInt(i) * 1_000_000_007n : -BigInt(i);
      const micros = 1_795_000_000_000_000n + BigInt(i);
      rows.push([text, blob, big, i - 2000, i / 3, i % 3 === 0, micros]);
      expected.push([
        i,
        text,
        Buffer.from(blob).toString("hex").toUpperCase(),
        big,
        i - 2000,
        i / 3,
        i % 3 === 0,
        micros,
      ]);
    }
    const withIndex: TableSpec = { ...typed, columns: [{ name: "i", type: "INTEGER" }, ...typed.columns] };
    await stageRows(connection, "typed", { spec: withIndex, rows: rows.map((row, i) => [i, ...row]) });
    const reader = await connection.runAndReadAll(
      "SELECT i, text, hex(blob), big, int, dbl, flag, epoch_us(ts) FROM temp.main.typed ORDER BY i",
    );
    assert.deepEqual(reader.getRows(), expected);
    const sizes = await connection.runAndReadAll(
      "SELECT count(*) FILTER (text = 'b' || 'bbbbbbbbbbb'), count(DISTINCT text) FROM temp.main.typed",
    );
    // Inlined strings compare equal to strings DuckDB built itself (zero padding intact).
    assert.deepEqual(sizes.getRows(), [
      [BigInt(rows.filter((r) => r[0] === "b".repeat(12)).length), BigInt(texts.length)],
    ]);
  });

  it("refuses a BIGINT out of range as the node API does", async () => {
    const spec1: TableSpec = { name: "big", columns: [{ name: "n", type: "BIGINT" }] };
    await assert.rejects(
      stageRows(connection, "big", { spec: spec1, rows: [[2n ** 63n]] }),
      /out of int64 range/,
    );
  });
});
