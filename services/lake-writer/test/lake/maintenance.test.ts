import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { DEFAULT_TIERS, runMaintenance } from "../../src/lake/maintenance.ts";
import { createTableManager, type TableSpec } from "../../src/tables/table-manager.ts";
import { openTestLake, queryNumber, type TestLake } from "../../src/testing/test-lake.ts";

const spec: TableSpec = {
  name: "small_batches",
  columns: [
    { name: "id", type: "BIGINT" },
    { name: "event_timestamp", type: "TIMESTAMPTZ" },
  ],
};

function parquetFiles(dir: string): number {
  return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith(".parquet")).length;
}

describe("lake maintenance", () => {
  let test: TestLake;
  let connection: DuckDBConnection;
  before(async () => {
    test = await openTestLake({ dataInliningRowLimit: 5 });
    connection = await test.lake.connect();
  });
  after(() => test.dispose());

  it("flushes inlined rows, merges small files, expires snapshots and deletes unreferenced files", async () => {
    const writer = createBatchWriter({
      connection,
      tables: createTableManager(connection),
      maxCommitRetries: 3,
    });
    const micros = BigInt(Date.UTC(2026, 10, 27)) * 1000n;
    let id = 0n;
    // Twenty commits of 50 rows (one small file each) and ten of 3 rows (inlined in the catalog).
    for (let i = 0; i < 30; i++) {
      const size = i < 20 ? 50 : 3;
      const rows = Array.from({ length: size }, () => [id++, micros]);
      await writer.write({ tables: [{ spec, rows }], positions: [] });
    }
    const filesBefore = parquetFiles(test.config.dataPath);
    const snapshotsBefore = await queryNumber(connection, "SELECT count(*) FROM ducklake_snapshots('lake')");
    assert.equal(filesBefore, 20);
    await runMaintenance(connection, { tiers: DEFAULT_TIERS, snapshotRetentionMs: 0, fileCleanupDelayMs: 0 });
    assert.equal(await queryNumber(connection, "SELECT count(*) FROM lake.small_batches"), 1030);
    assert.equal(await queryNumber(connection, "SELECT count(DISTINCT id) FROM lake.small_batches"), 1030);
    const filesAfter = parquetFiles(test.config.dataPath);
    assert.ok(filesAfter < 5, `files merged: ${filesBefore} → ${filesAfter}`);
    assert.ok(
      (await queryNumber(connection, "SELECT count(*) FROM ducklake_snapshots('lake')")) < snapshotsBefore,
    );
  });
});
