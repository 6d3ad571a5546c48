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
});
