import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { PartitionFencedError } from "../../src/lake/lake-transaction.ts";
import { claimPartition } from "../../src/lake/partition-ledger.ts";
import { createTableManager } from "../../src/tables/table-manager.ts";
import { telemetryBatch } from "../../src/testing/test-events.ts";
import { openWritableTestLake, queryNumber, type WritableTestLake } from "../../src/testing/test-lake.ts";
import { PipelineError, parsePipeline } from "../../src/transforms/pipeline.ts";

// Test events are 1 ms apart from 12:00:00.000, 16 devices: 1-second windows, 500 ms lateness.
const PIPELINE = `
windows:
  - output: device_counts_1s
    input: device_telemetry_v1
    windowMs: 1000
    allowedLatenessMs: 500
    groupBy: [device_id]
    aggregates: count(*) AS events, max(sequence) AS last_sequence
`;
const key = { source: "kafka:windows", partition: "0" };

describe("event-time tumbling windows", () => {
  let test: WritableTestLake;
  let connection: DuckDBConnection;
  before(async () => {
    test = await openWritableTestLake();
    connection = test.connection;
  });
  after(() => test.dispose());

  const batchOf = (count: number, first: number) => telemetryBatch(key, count, first);

  it("rejects bad window settings with every problem listed", () => {
    assert.throws(
      () => parsePipeline("windows:\n  - output: x\n    input: y\n    windowMs: 0\n    groupBy: [Bad-Col]\n"),
      (err: unknown) =>
        err instanceof PipelineError &&
        /windowMs/.test(err.message) &&
        /groupBy/.test(err.message) &&
        /aggregates/.test(err.message),
    );
  });

  it("emits a window once the watermark passes its end plus lateness, with state and offsets in one commit", async () => {
    const writer = createBatchWriter({
      connection,
      tables: createTableManager(connection),
      maxCommitRetries: 3,
      windows: parsePipeline(PIPELINE).windows,
    });
    const lease = await claimPartition(connection, key, "writer");
    // Events 0–1499 ms: the window [0 s, 1 s) closes at 1.5 s, not reached yet.
    await writer.write({ tables: batchOf(1500, 0), positions: [{ lease, nextPosition: 1500n }] });
    assert.equal(await queryNumber(connection, "SELECT count(*) FROM lake.device_counts_1s"), 0);
    // Events 1500–2999 ms: windows [0 s, 1 s) and [1 s, 2 s) close; [2 s, 3 s) stays open.
    const second = await writer.write({
      tables: batchOf(1500, 1500),
      positions: [{ lease, nextPosition: 3000n }],
    });
    assert.equal(second.lateEvents, 0);
    assert.equal(await queryNumber(connection, "SELECT count(*) FROM lake.device_counts_1s"), 32);
    assert.equal(await queryNumber(connection, "SELECT sum(events) FROM lake.device_counts_1s"), 2000);
    assert.equal(
      await queryNumber(
        connection,
        "SELECT max(last_sequence) FROM lake.device_counts_1s WHERE window_end = TIMESTAMPTZ '2026-11-27 12:00:02+00'",
      ),
      1999,
    );
    // An event of the closed window [0 s, 1 s) is late: kept in its table, not in the windows.
    const late = await writer.write({ tables: batchOf(1, 500), positions: [{ lease, nextPosition: 3001n }] });
    assert.equal(late.lateEvents, 1);
    assert.equal(await queryNumber(connection, "SELECT sum(events) FROM lake.device_counts_1s"), 2000);
    // A fenced batch changes neither the windows nor their state.
    await claimPartition(connection, key, "newer-owner");
    await assert.rejects(
      writer.write({ tables: batchOf(2000, 3000), positions: [{ lease, nextPosition: 5001n }] }),
      PartitionFencedError,
    );
    assert.equal(await queryNumber(connection, "SELECT count(*) FROM lake.device_counts_1s"), 32);
  });
});
