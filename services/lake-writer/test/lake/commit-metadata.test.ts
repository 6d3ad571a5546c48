import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import type { CommitExtraInfo } from "../../src/lake/commit-metadata.ts";
import { claimPartition } from "../../src/lake/partition-ledger.ts";
import { createTableManager } from "../../src/tables/table-manager.ts";
import { telemetryBatch } from "../../src/testing/test-events.ts";
import { openWritableTestLake } from "../../src/testing/test-lake.ts";

/** The newest snapshot's commit metadata, as a lineage reader sees it. */
async function lastSnapshot(connection: DuckDBConnection) {
  const reader = await connection.runAndReadAll(
    "SELECT author, commit_message, commit_extra_info, epoch_ms(snapshot_time) " +
      "FROM lake.snapshots() ORDER BY snapshot_id DESC LIMIT 1",
  );
  const [author, message, extraInfo, snapshotMs] = reader.getRows()[0] ?? [];
  return {
    author,
    message,
    info: JSON.parse(String(extraInfo)) as CommitExtraInfo,
    snapshotMs: Number(snapshotMs),
  };
}

describe("commit metadata", () => {
  it("records the author, `ingest` and the commit's own time, which DuckLake's snapshot_time (the BEGIN) is not", async () => {
    // The default catalog kind: the query API reads these snapshots from it.
    const test = await openWritableTestLake({ catalogKind: "sqlite" });
    try {
      const { connection } = test;
      const key = { source: "kafka:lineage", partition: "0" };
      const lease = await claimPartition(connection, key, "lease-owner");
      const writer = createBatchWriter({
        connection,
        tables: createTableManager(connection),
        maxCommitRetries: 3,
        author: "writer-7",
      });
      const pauseMs = 300;
      const result = await writer.write({
        tables: telemetryBatch(key, 250),
        positions: [{ lease, nextPosition: 250n }],
        // A slow transaction: BEGIN and COMMIT are this far apart.
        extraStatements: () => new Promise((resolve) => setTimeout(resolve, pauseMs)),
      });
      const writtenMs = Date.now();
      assert.equal(result.rows, 250);
      const snapshot = await lastSnapshot(connection);
      assert.equal(snapshot.author, "writer-7");
      assert.equal(snapshot.message, "ingest");
      assert.deepEqual(Object.keys(snapshot.info).sort(), ["committed_at", "rows", "writer"]);
      assert.equal(snapshot.info.writer, "writer-7");
      assert.equal(snapshot.info.rows, 250);
      assert.match(snapshot.info.committed_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const committedMs = Date.parse(snapshot.info.committed_at);
      assert.ok(Number.isFinite(committedMs), snapshot.info.committed_at);
      assert.ok(committedMs >= snapshot.snapshotMs, `${committedMs} >= ${snapshot.snapshotMs}`);
      assert.ok(
        committedMs - snapshot.snapshotMs >= pauseMs,
        `committed_at is ${committedMs - snapshot.snapshotMs} ms after snapshot_time, the pause was ${pauseMs} ms`,
      );
      assert.ok(committedMs <= writtenMs);
    } finally {
      await test.dispose();
    }
  });

  it("names the lease owner as author when the writer has no author of its own", async () => {
    const test = await openWritableTestLake();
    try {
      const { connection } = test;
      const key = { source: "kafka:lineage", partition: "1" };
      const lease = await claimPartition(connection, key, "owner-3");
      const writer = createBatchWriter({
        connection,
        tables: createTableManager(connection),
        maxCommitRetries: 3,
      });
      await writer.write({ tables: telemetryBatch(key, 20), positions: [{ lease, nextPosition: 20n }] });
      const snapshot = await lastSnapshot(connection);
      assert.equal(snapshot.author, "owner-3");
      assert.equal(snapshot.info.writer, "owner-3");
      assert.equal(snapshot.info.rows, 20);
      assert.ok(Date.parse(snapshot.info.committed_at) >= snapshot.snapshotMs);
    } finally {
      await test.dispose();
    }
  });
});
