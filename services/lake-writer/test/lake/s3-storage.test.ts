import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { claimPartition, ensureStateSchema } from "../../src/lake/partition-ledger.ts";
import { createTableManager } from "../../src/tables/table-manager.ts";
import { startSeaweedfs, type TestS3 } from "../../src/testing/start-seaweedfs.ts";
import { telemetryBatch } from "../../src/testing/test-events.ts";
import { openTestLake, queryNumber } from "../../src/testing/test-lake.ts";

describe("lake data on a real S3-compatible store (SeaweedFS)", () => {
  let store: TestS3;
  before(async () => {
    store = await startSeaweedfs();
  });
  after(() => store?.stop());

  it("writes Parquet files to s3:// through httpfs and reads the same rows back after reopening", async () => {
    const dataPath = `s3://${store.bucket}/events/`;
    const first = await openTestLake({ dataPath, s3: store.s3 });
    const connection = await first.lake.connect();
    await ensureStateSchema(connection);
    const key = { source: "kafka:s3", partition: "0" };
    const lease = await claimPartition(connection, key, "writer");
    const writer = createBatchWriter({
      connection,
      tables: createTableManager(connection),
      maxCommitRetries: 3,
    });
    await writer.write({ tables: telemetryBatch(key, 1500), positions: [{ lease, nextPosition: 1500n }] });
    const files = (
      await connection.runAndReadAll(
        "SELECT data_file FROM ducklake_list_files('lake', 'device_telemetry_v1')",
      )
    )
      .getRows()
      .map((r) => String(r[0]));
    assert.ok(files.length > 0 && files.every((f) => f.startsWith(dataPath)), files.join());
    // Reopen from the catalog alone: every row comes back from S3.
    first.lake.close();
    const catalog = first.config.catalog;
    const second = await openTestLake({ catalog, dataPath, s3: store.s3 });
    try {
      const check = await second.lake.connect();
      assert.equal(
        await queryNumber(check, "SELECT count(DISTINCT event_id) FROM lake.device_telemetry_v1"),
        1500,
      );
      assert.equal(
        await queryNumber(check, "SELECT sum(sequence) FROM lake.device_telemetry_v1"),
        (1499 * 1500) / 2,
      );
    } finally {
      await second.dispose();
      await first.dispose();
    }
  });
});
