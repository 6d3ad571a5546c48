import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { claimPartition } from "../../src/lake/partition-ledger.ts";
import { createTableManager } from "../../src/tables/table-manager.ts";
import { queryLakeWithPython } from "../../src/testing/python-reader.ts";
import { telemetryBatch } from "../../src/testing/test-events.ts";
import { openWritableTestLake } from "../../src/testing/test-lake.ts";

const SELECTED =
  "SELECT event_id, device_id, sequence, epoch_us(event_timestamp), readings->>'$[0].metric' FROM lake.device_telemetry_v1 ORDER BY sequence";

describe("a lake written by the lake writer", () => {
  it("reads back the same rows with the official DuckDB Python package", async () => {
    const test = await openWritableTestLake();
    try {
      const connection = test.connection;
      const lease = await claimPartition(connection, { source: "kafka:python", partition: "0" }, "writer");
      const writer = createBatchWriter({
        connection,
        tables: createTableManager(connection),
        maxCommitRetries: 3,
      });
      await writer.write({
        tables: telemetryBatch({ source: "kafka:python", partition: "0" }, 250),
        positions: [{ lease, nextPosition: 250n }],
      });
      const expected = (await connection.runAndReadAll(SELECTED))
        .getRows()
        .map((r) => [String(r[0]), String(r[1]), Number(r[2]), Number(r[3]), String(r[4])]);
      // A DuckDB-file catalog admits one process at a time: hand it over to Python.
      test.lake.close();
      const actual = (await queryLakeWithPython(test.config.catalog, test.config.dataPath, SELECTED)).map(
        (r) => [r[0], r[1], Number(r[2]), Number(r[3]), r[4]],
      );
      assert.equal(actual.length, 250);
      assert.deepEqual(actual, expected);
    } finally {
      await test.dispose().catch(() => undefined);
    }
  });
});
