import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { mergeClosest, timestamptzLiteral } from "../../src/lake/drop-lake-duplicates.ts";
import { claimPartition } from "../../src/lake/partition-ledger.ts";
import { createTableManager } from "../../src/tables/table-manager.ts";
import { telemetryBatch } from "../../src/testing/test-events.ts";
import {
  openTestLake,
  openWritableTestLake,
  queryNumber,
  type WritableTestLake,
} from "../../src/testing/test-lake.ts";

describe("timestamptzLiteral", () => {
  it("names the same microsecond DuckDB reads back, before and after the epoch", async () => {
    const test = await openTestLake();
    try {
      const connection = await test.lake.connect();
      for (const micros of [0n, 1n, 999n, 1_764_660_000_123_456n, -1n, -1_000_001n, -86_400_000_000_001n]) {
        const back = await connection.runAndReadAll(`SELECT epoch_us(${timestamptzLiteral(micros)})`);
        assert.equal(back.getRows()[0]?.[0], micros, `${micros} → ${timestamptzLiteral(micros)}`);
      }
    } finally {
      await test.dispose();
    }
  });
});

describe("mergeClosest", () => {
  it("merges the ranges with the smallest gaps first until few enough remain", () => {
    const ranges: [bigint, bigint][] = [
      [0n, 10n],
      [100n, 110n],
      [115n, 120n],
      [1000n, 1001n],
    ];
    assert.deepEqual(mergeClosest(ranges, 4), ranges);
    assert.deepEqual(mergeClosest(ranges, 3), [
      [0n, 10n],
      [100n, 120n],
      [1000n, 1001n],
    ]);
    assert.deepEqual(mergeClosest(ranges, 1), [[0n, 1001n]]);
    assert.deepEqual(ranges[1], [100n, 110n], "the input is left as it was");
  });
});

describe("dedupe against the lake on a real DuckLake", () => {
  let test: WritableTestLake;
  let connection: DuckDBConnection;
  before(async () => {
    test = await openWritableTestLake();
    connection = test.connection;
  });
  after(() => test.dispose());

  it("leaves out rows whose event id the table holds, however many commits later they come", async () => {
    const key = { source: "kafka:dedupe", partition: "0" };
    const writer = createBatchWriter({
      connection,
      tables: createTableManager(connection),
      maxCommitRetries: 3,
      dedupe: true,
    });
    const lease = await claimPartition(connection, key, "writer");
    const first = await writer.write({
      tables: telemetryBatch(key, 1000),
      positions: [{ lease, nextPosition: 1000n }],
    });
    assert.equal(first.duplicates, 0);
    // Many later commits with other event times: the copies below must still be found.
    for (let i = 1; i <= 5; i++) {
      await writer.write({
        tables: telemetryBatch(key, 1000, i * 100_000),
        positions: [{ lease, nextPosition: 1000n + BigInt(i) * 1000n }],
      });
    }
    // Events 500…1499: the first 500 are copies of rows already in the lake.
    const again = await writer.write({
      tables: telemetryBatch(key, 1000, 500),
      positions: [{ lease, nextPosition: 7000n }],
    });
    assert.equal(again.duplicates, 500);
    assert.equal(again.rows, 500);
    assert.equal(await queryNumber(connection, "SELECT count(*) FROM lake.device_telemetry_v1"), 6500);
    assert.equal(
      await queryNumber(connection, "SELECT count(DISTINCT event_id) FROM lake.device_telemetry_v1"),
      6500,
    );
    // The original rows stay (with their first positions); the copies never landed.
    assert.equal(
      await queryNumber(
        connection,
        "SELECT count(*) FROM lake.device_telemetry_v1 WHERE sequence < 1000 AND _position >= 6000",
      ),
      0,
    );
  });

  it("keeps an id reused with another event time or by another source: only a true copy is dropped", async () => {
    const spec = {
      name: "reused_ids",
      columns: [
        { name: "event_id", type: "VARCHAR" as const },
        { name: "event_timestamp", type: "TIMESTAMPTZ" as const },
        { name: "source_system", type: "VARCHAR" as const },
      ],
      partitionByDayOf: "event_timestamp",
    };
    const writer = createBatchWriter({
      connection,
      tables: createTableManager(connection),
      maxCommitRetries: 3,
      dedupe: true,
    });
    const t = BigInt(Date.UTC(2026, 10, 27)) * 1000n;
    await writer.write({ tables: [{ spec, rows: [["e1", t, "plant-a"]] }], positions: [] });
    const again = await writer.write({
      tables: [
        {
          spec,
          rows: [
            ["e1", t + 1_000_000n, "plant-a"], // a device sequence reset: same id, later reading
            ["e1", t, "plant-b"], // another source's id
            ["e1", t, "plant-a"], // the copy
          ],
        },
      ],
      positions: [],
    });
    assert.equal(again.duplicates, 1);
    assert.equal(await queryNumber(connection, "SELECT count(*) FROM lake.reused_ids"), 3);
  });

  it("writes copies when dedupe is off (the lake then holds them twice)", async () => {
    const scratch = await openWritableTestLake();
    try {
      const c = scratch.connection;
      const key = { source: "kafka:no-dedupe", partition: "0" };
      const writer = createBatchWriter({ connection: c, tables: createTableManager(c), maxCommitRetries: 3 });
      const lease = await claimPartition(c, key, "writer");
      await writer.write({ tables: telemetryBatch(key, 100), positions: [{ lease, nextPosition: 100n }] });
      const again = await writer.write({
        tables: telemetryBatch(key, 100),
        positions: [{ lease, nextPosition: 200n }],
      });
      assert.equal(again.duplicates, 0);
      assert.equal(await queryNumber(c, "SELECT count(*) FROM lake.device_telemetry_v1"), 200);
    } finally {
      await scratch.dispose();
    }
  });
});
