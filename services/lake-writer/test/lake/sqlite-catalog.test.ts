import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import type { LakeConfig } from "@langtian/lake";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { tempDir } from "@langtian/testing";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { PartitionFencedError } from "../../src/lake/lake-transaction.ts";
import { openLake } from "../../src/lake/open-lake.ts";
import { claimPartition, ensureStateSchema } from "../../src/lake/partition-ledger.ts";
import { createTableManager } from "../../src/tables/table-manager.ts";
import { telemetryBatch } from "../../src/testing/test-events.ts";
import { queryNumber } from "../../src/testing/test-lake.ts";

describe("SQLite catalog", () => {
  it("commits batches and fences across two DuckDB instances sharing one SQLite catalog file", async () => {
    const dir = tempDir("sqlite-lake");
    const config: LakeConfig = {
      catalog: { kind: "sqlite", path: join(dir, "catalog.sqlite") },
      dataPath: join(dir, "data"),
    };
    const extensions = await provisionDuckdbExtensions();
    const first = await openLake(config, extensions);
    const second = await openLake(config, extensions);
    try {
      const a = await first.connect();
      const b = await second.connect();
      await ensureStateSchema(a);
      const key = { source: "kafka:sqlite", partition: "0" };
      const batchOf = (count: number, from: number) => telemetryBatch(key, count, from);
      const writerA = createBatchWriter({
        connection: a,
        tables: createTableManager(a),
        maxCommitRetries: 5,
      });
      const writerB = createBatchWriter({
        connection: b,
        tables: createTableManager(b),
        maxCommitRetries: 5,
      });
      const leaseA = await claimPartition(a, key, "writer-a");
      await writerA.write({ tables: batchOf(500, 0), positions: [{ lease: leaseA, nextPosition: 500n }] });
      // The second instance takes over from the lake's position; the first is fenced.
      const leaseB = await claimPartition(b, key, "writer-b");
      assert.equal(leaseB.nextPosition, 500n);
      await assert.rejects(
        writerA.write({ tables: batchOf(500, 500), positions: [{ lease: leaseA, nextPosition: 1000n }] }),
        PartitionFencedError,
      );
      await writerB.write({ tables: batchOf(500, 500), positions: [{ lease: leaseB, nextPosition: 1000n }] });
      assert.equal(await queryNumber(a, "SELECT count(*) FROM lake.device_telemetry_v1"), 1000);
      assert.equal(
        await queryNumber(b, "SELECT count(DISTINCT event_id) FROM lake.device_telemetry_v1"),
        1000,
      );
    } finally {
      first.close();
      second.close();
    }
  });

  it("keeps the catalog in WAL mode, so a reader polling it never fails the writer's commits", async () => {
    const dir = tempDir("sqlite-wal");
    const config: LakeConfig = {
      catalog: { kind: "sqlite", path: join(dir, "catalog.sqlite") },
      dataPath: join(dir, "data"),
    };
    const extensions = await provisionDuckdbExtensions();
    const writerLake = await openLake(config, extensions);
    const readerLake = await openLake(config, extensions);
    try {
      const probe = new DatabaseSync(config.catalog.kind === "sqlite" ? config.catalog.path : "", {
        readOnly: true,
      });
      assert.equal(
        (probe.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode,
        "wal",
      );
      probe.close();
      const a = await writerLake.connect();
      await ensureStateSchema(a);
      const key = { source: "kafka:wal", partition: "0" };
      const writer = createBatchWriter({ connection: a, tables: createTableManager(a), maxCommitRetries: 0 });
      // A reader in another DuckDB instance reads the lake as fast as it can meanwhile.
      const reader = await readerLake.connect();
      let reading = true;
      let reads = 0;
      const readLoop = (async () => {
        while (reading) {
          await reader.run("SELECT count(*) FROM lake.snapshots()");
          reads++;
        }
      })();
      const lease = await claimPartition(a, key, "writer");
      for (let i = 0; i < 30; i++)
        await writer.write({
          tables: telemetryBatch(key, 100, i * 100),
          positions: [{ lease, nextPosition: BigInt((i + 1) * 100) }],
        });
      reading = false;
      await readLoop;
      assert.ok(reads > 0, "the reader read while the commits landed");
      assert.equal(await queryNumber(a, "SELECT count(*) FROM lake.device_telemetry_v1"), 3_000);
    } finally {
      writerLake.close();
      readerLake.close();
    }
  });
});
