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

const PIPELINE = `
transforms:
  - output: device_readings
    input: device_telemetry_v1
    sql: |
      SELECT event_id, device_id, event_timestamp, r.metric AS metric, r.doubleValue AS value, r.unit AS unit
      FROM batch, unnest(from_json(readings, '[{"metric":"VARCHAR","doubleValue":"DOUBLE","unit":"VARCHAR"}]')) AS t(r)
`;

describe("SQL transforms", () => {
  it("rejects a pipeline file with every problem listed", () => {
    assert.throws(
      () => parsePipeline("transforms:\n  - output: Bad-Name\n    input: x\n    sql: SELECT 1\n"),
      (err: unknown) =>
        err instanceof PipelineError && /output must be/.test(err.message) && /FROM batch/.test(err.message),
    );
    assert.throws(() => parsePipeline("nothing: here"), PipelineError);
  });

  describe("on a real DuckLake", () => {
    let test: WritableTestLake;
    let connection: DuckDBConnection;
    before(async () => {
      test = await openWritableTestLake();
      connection = test.connection;
    });
    after(() => test.dispose());

    const batchOf = (count: number, first: number) =>
      telemetryBatch({ source: "kafka:tx", partition: "0" }, count, first);

    it("commits the query's rows with the batch and its offsets, and not at all when fenced", async () => {
      const writer = createBatchWriter({
        connection,
        tables: createTableManager(connection),
        maxCommitRetries: 3,
        transforms: parsePipeline(PIPELINE).transforms,
      });
      const key = { source: "kafka:tx", partition: "0" };
      const lease = await claimPartition(connection, key, "writer");
      await writer.write({ tables: batchOf(300, 0), positions: [{ lease, nextPosition: 300n }] });
      assert.equal(await queryNumber(connection, "SELECT count(*) FROM lake.device_readings"), 300);
      assert.equal(
        await queryNumber(
          connection,
          "SELECT count(*) FROM lake.device_readings WHERE metric = 'temp' AND unit = 'C'",
        ),
        300,
      );
      assert.equal(await queryNumber(connection, "SELECT min(value) FROM lake.device_readings"), 20);
      await claimPartition(connection, key, "newer-owner");
      await assert.rejects(
        writer.write({ tables: batchOf(100, 300), positions: [{ lease, nextPosition: 400n }] }),
        PartitionFencedError,
      );
      assert.equal(await queryNumber(connection, "SELECT count(*) FROM lake.device_readings"), 300);
    });
    it("gives a transform every column of its input table, also those the batch does not fill", async () => {
      const readings = {
        name: "station_readings",
        columns: [
          { name: "event_id", type: "VARCHAR" as const },
          { name: "event_timestamp", type: "TIMESTAMPTZ" as const },
          { name: "value", type: "DOUBLE" as const },
        ],
        partitionByDayOf: "event_timestamp",
      };
      const wider = {
        ...readings,
        columns: [...readings.columns, { name: "unit", type: "VARCHAR" as const }],
      };
      const writer = createBatchWriter({
        connection,
        tables: createTableManager(connection),
        maxCommitRetries: 3,
        transforms: parsePipeline(`
transforms:
  - output: station_units
    input: station_readings
    sql: SELECT event_id, coalesce(unit, '?') AS unit FROM batch
`).transforms,
      });
      const micros = BigInt(Date.UTC(2026, 10, 27)) * 1000n;
      // The first batch brings the unit column; the second lacks it, as a batch of only
      // older-version events would. Its transform must still find `unit` (NULL).
      await writer.write({ tables: [{ spec: wider, rows: [["a", micros, 1, "C"]] }], positions: [] });
      await writer.write({ tables: [{ spec: readings, rows: [["b", micros, 2]] }], positions: [] });
      assert.equal(
        await queryNumber(connection, "SELECT count(*) FROM lake.station_units WHERE unit = 'C'"),
        1,
      );
      assert.equal(
        await queryNumber(connection, "SELECT count(*) FROM lake.station_units WHERE unit = '?'"),
        1,
      );
    });
  });
});
