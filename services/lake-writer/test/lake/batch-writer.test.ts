import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { PartitionFencedError } from "../../src/lake/lake-transaction.ts";
import {
  claimPartition,
  ensureStateSchema,
  PositionMovedError,
  readPartitionPosition,
} from "../../src/lake/partition-ledger.ts";
import { createTableManager, type TableSpec } from "../../src/tables/table-manager.ts";
import { openTestLake, type TestLake } from "../../src/testing/test-lake.ts";

const spec: TableSpec = {
  name: "readings",
  columns: [
    { name: "id", type: "VARCHAR" },
    { name: "value", type: "DOUBLE" },
    { name: "event_timestamp", type: "TIMESTAMPTZ" },
  ],
  partitionByDayOf: "event_timestamp",
};
const key = { source: "kafka:readings", partition: "0" };
const micros = BigInt(Date.UTC(2026, 10, 27)) * 1000n;

async function count(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(sql);
  return Number(reader.getRows()[0]?.[0]);
}

describe("batch writer on a real DuckLake", () => {
  let test: TestLake;
  let a: DuckDBConnection;
  let b: DuckDBConnection;
  before(async () => {
    test = await openTestLake();
    a = await test.lake.connect();
    b = await test.lake.connect();
    await ensureStateSchema(a);
  });
  after(() => test.dispose());

  it("commits rows and the partition's next position in one snapshot", async () => {
    const writer = createBatchWriter({ connection: a, tables: createTableManager(a), maxCommitRetries: 3 });
    const lease = await claimPartition(a, key, "writer-a");
    assert.equal(lease.nextPosition, null);
    const rows = [
      ["e1", 1.5, micros],
      ["e2", 2.5, micros + 1n],
    ];
    const result = await writer.write({ tables: [{ spec, rows }], positions: [{ lease, nextPosition: 2n }] });
    assert.equal(result.rows, 2);
    assert.equal(await count(b, "SELECT count(*) FROM lake.readings"), 2);
    assert.equal(await readPartitionPosition(b, key), 2n);
    const reclaimed = await claimPartition(b, key, "writer-b");
    assert.equal(reclaimed.nextPosition, 2n);
    assert.equal(reclaimed.epoch, lease.epoch + 1n);
  });

  it("adds a column when a batch brings a new field, keeping older rows", async () => {
    const writer = createBatchWriter({ connection: a, tables: createTableManager(a), maxCommitRetries: 3 });
    const lease = await claimPartition(a, key, "writer-a");
    const wider: TableSpec = { ...spec, columns: [...spec.columns, { name: "unit", type: "VARCHAR" }] };
    await writer.write({ tables: [{ spec: wider, rows: [["e3", 3, micros, "C"]] }], positions: [] });
    assert.equal(await count(b, "SELECT count(*) FROM lake.readings WHERE unit IS NULL"), 2);
    assert.equal(await count(b, "SELECT count(*) FROM lake.readings WHERE unit = 'C'"), 1);
    assert.ok(lease.epoch > 0n);
  });

  it("fences a writer whose lease was taken over: nothing of its batch is visible", async () => {
    const writer = createBatchWriter({ connection: a, tables: createTableManager(a), maxCommitRetries: 3 });
    const zombie = await claimPartition(a, key, "writer-a");
    await claimPartition(b, key, "writer-b");
    const before = await count(b, "SELECT count(*) FROM lake.readings");
    await assert.rejects(
      writer.write({
        tables: [{ spec, rows: [["zombie", 0, micros]] }],
        positions: [{ lease: zombie, nextPosition: 99n }],
      }),
      PartitionFencedError,
    );
    assert.equal(await count(b, "SELECT count(*) FROM lake.readings"), before);
    assert.notEqual(await readPartitionPosition(b, key), 99n);
  });

  it("fences a zombie whose transaction was already open when the new owner claimed", async () => {
    const writer = createBatchWriter({ connection: a, tables: createTableManager(a), maxCommitRetries: 3 });
    const zombie = await claimPartition(a, key, "writer-a");
    const before = await count(b, "SELECT count(*) FROM lake.readings");
    let claimedDuringCommit = false;
    await assert.rejects(
      writer.write({
        tables: [{ spec, rows: [["late-zombie", 0, micros]] }],
        positions: [{ lease: zombie, nextPosition: 1234n }],
        extraStatements: async () => {
          // The rebalance happens while the zombie's snapshot is open and uncommitted.
          if (claimedDuringCommit) return;
          claimedDuringCommit = true;
          await claimPartition(b, key, "writer-b");
        },
      }),
      PartitionFencedError,
    );
    assert.ok(claimedDuringCommit);
    assert.equal(await count(b, "SELECT count(*) FROM lake.readings"), before);
    assert.notEqual(await readPartitionPosition(b, key), 1234n);
  });

  it("lets writers of different partitions commit concurrently without conflicts", async () => {
    const writerA = createBatchWriter({ connection: a, tables: createTableManager(a), maxCommitRetries: 0 });
    const writerB = createBatchWriter({ connection: b, tables: createTableManager(b), maxCommitRetries: 0 });
    const leaseA = await claimPartition(a, { source: "kafka:readings", partition: "1" }, "writer-a");
    const leaseB = await claimPartition(b, { source: "kafka:readings", partition: "2" }, "writer-b");
    const results = await Promise.all([
      writerA.write({
        tables: [{ spec, rows: [["p1", 1, micros]] }],
        positions: [{ lease: leaseA, nextPosition: 1n }],
      }),
      writerB.write({
        tables: [{ spec, rows: [["p2", 2, micros]] }],
        positions: [{ lease: leaseB, nextPosition: 1n }],
      }),
    ]);
    assert.deepEqual(
      results.map((r) => r.conflicts),
      [0, 0],
    );
    assert.equal(await count(a, "SELECT count(*) FROM lake.readings WHERE id IN ('p1', 'p2')"), 2);
  });
  it("refuses a commit built on a position the ledger no longer holds (a failed commit that landed)", async () => {
    const writer = createBatchWriter({ connection: a, tables: createTableManager(a), maxCommitRetries: 3 });
    const moved = { source: "kafka:readings", partition: "moved" };
    const lease = await claimPartition(a, moved, "writer-a");
    await writer.write({
      tables: [{ spec, rows: [["m1", 1, micros]] }],
      positions: [{ lease, nextPosition: 10n, expected: null }],
    });
    // Built as if the first commit had not landed: the ledger holds 10, not null.
    await assert.rejects(
      writer.write({
        tables: [{ spec, rows: [["m1", 1, micros]] }],
        positions: [{ lease, nextPosition: 10n, expected: null }],
      }),
      PositionMovedError,
    );
    assert.equal(await readPartitionPosition(b, moved), 10n);
    assert.equal(await count(b, "SELECT count(*) FROM lake.readings WHERE id = 'm1'"), 1);
    await writer.write({
      tables: [{ spec, rows: [["m2", 2, micros]] }],
      positions: [{ lease, nextPosition: 11n, expected: 10n }],
    });
    assert.equal(await readPartitionPosition(b, moved), 11n);
  });
});
