import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createBatchWriter } from "../lake/batch-writer.ts";
import { claimPartition, ensureStateSchema } from "../lake/partition-ledger.ts";
import { queryLakeWithPython } from "../testing/python-reader.ts";
import { telemetryBatch } from "../testing/test-events.ts";
import { openTestLake } from "../testing/test-lake.ts";
import { createTableManager } from "./table-manager.ts";

const SELECTED =
  "SELECT event_id, device_id, sequence, epoch_us(event_timestamp), readings->>'$[0].metric' FROM lake.device_telemetry_v1 ORDER BY sequence";

describe("a lake written by the lake writer", () => {
  it("reads back the same rows with the official DuckDB Python package", async () => {
    const test = await openTestLake();
    try {
      const connection = await test.lake.connect();
      await ensureStateSchema(connection);
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
      if (test.config.catalog.kind !== "duckdb") throw new Error("test lake uses a DuckDB-file catalog");
      const actual = (
        await queryLakeWithPython(test.config.catalog.path, test.config.dataPath, SELECTED)
      ).map((r) => [r[0], r[1], Number(r[2]), Number(r[3]), r[4]]);
      assert.equal(actual.length, 250);
      assert.deepEqual(actual, expected);
    } finally {
      await test.dispose().catch(() => undefined);
    }
  });
});
