import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { LakeConfig } from "@langtian/lake";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { startPostgres, type TestPostgres, tempDir } from "@langtian/testing";
import { PartitionFencedError, runInTransaction } from "../../src/lake/lake-transaction.ts";
import { type OpenLake, openLake } from "../../src/lake/open-lake.ts";
import {
  advancePartition,
  claimPartition,
  ensureStateSchema,
  LEDGER_COLUMNS,
  ledgerTable,
  type PartitionKey,
} from "../../src/lake/partition-ledger.ts";
import { queryNumber } from "../../src/testing/test-lake.ts";

// Two DuckDB instances on one PostgreSQL catalog (the catalog for several writers), as two lake
// writers: each claims partitions no writer ever claimed before, at the same moment as the other.
describe("first claims of a partition by two writers at once", () => {
  const lakes: OpenLake[] = [];
  let a: DuckDBConnection;
  let b: DuckDBConnection;
  let postgres: TestPostgres | undefined;
  before(async () => {
    postgres = await startPostgres();
    const config: LakeConfig = {
      catalog: { kind: "postgres", dsn: postgres.dsn },
      dataPath: join(tempDir("claims-lake"), "data"),
    };
    const extensions = await provisionDuckdbExtensions();
    for (let i = 0; i < 2; i++) lakes.push(await openLake(config, extensions));
    a = await (lakes[0] as OpenLake).connect();
    b = await (lakes[1] as OpenLake).connect();
    await ensureStateSchema(a);
  });
  after(async () => {
    for (const lake of lakes) lake.close();
    await postgres?.stop();
  });

  it("leaves one ledger row per partition and one owner: the later claim fences the earlier", async () => {
    // Enough partitions that the two claims overlap for some of them on any machine.
    const keys: PartitionKey[] = Array.from({ length: 24 }, (_, i) => ({
      source: "kafka:claims",
      partition: String(i),
    }));
    for (const key of keys) {
      // Every other ledger table already there but empty, as between the table's creation and
      // its first row before: the window in which two first inserts both committed.
      if (Number(key.partition) % 2 === 1) {
        await a.run(`CREATE TABLE ${ledgerTable(key)} (${LEDGER_COLUMNS})`);
      }
      const [leaseA, leaseB] = await Promise.all([
        claimPartition(a, key, "writer-a"),
        claimPartition(b, key, "writer-b"),
      ]);
      const name = `partition ${key.partition}`;
      assert.equal(
        await queryNumber(a, `SELECT count(*) FROM ${ledgerTable(key)}`),
        1,
        `${name}: one ledger row`,
      );
      assert.deepEqual(
        [leaseA.epoch, leaseB.epoch].sort(),
        [1n, 2n],
        `${name}: the claims got epochs 1 and 2, not the same one`,
      );
      // Only the later claim may move the position; the earlier holder is fenced.
      const [later, earlier, laterConnection, earlierConnection] =
        leaseA.epoch === 2n ? [leaseA, leaseB, a, b] : [leaseB, leaseA, b, a];
      await assert.rejects(
        runInTransaction(earlierConnection, () => advancePartition(earlierConnection, earlier, 10n), {
          maxRetries: 5,
        }),
        PartitionFencedError,
        `${name}: the earlier claim is fenced`,
      );
      await runInTransaction(laterConnection, () => advancePartition(laterConnection, later, 10n), {
        maxRetries: 5,
      });
    }
  });

  it("repairs a ledger that two older writers seeded twice, before anything was written", async () => {
    // What a table created empty and then claimed by two writers at once held: two first rows.
    const key = { source: "kafka:claims-legacy", partition: "0" };
    const table = ledgerTable(key);
    await a.run(`CREATE TABLE ${table} (${LEDGER_COLUMNS})`);
    for (const owner of ["old-a", "old-b"]) {
      await a.run(
        `INSERT INTO ${table} VALUES ('kafka:claims-legacy', '0', NULL, '${owner}', 1, now(), NULL)`,
      );
    }
    const lease = await claimPartition(b, key, "writer-b");
    assert.equal(lease.epoch, 2n);
    assert.equal(lease.nextPosition, null);
    assert.equal(await queryNumber(a, `SELECT count(*) FROM ${table}`), 1);
  });

  it("refuses a ledger whose rows disagree on the position, naming the partition", async () => {
    const key = { source: "kafka:claims-split", partition: "0" };
    const table = ledgerTable(key);
    await a.run(`CREATE TABLE ${table} (${LEDGER_COLUMNS})`);
    for (const [owner, position] of [
      ["old-a", 100],
      ["old-b", 250],
    ] as const) {
      await a.run(
        `INSERT INTO ${table} VALUES ('kafka:claims-split', '0', ${position}, '${owner}', 1, now(), NULL)`,
      );
    }
    await assert.rejects(claimPartition(b, key, "writer-b"), /kafka:claims-split\/0.*2 rows.*100.*250/);
  });
});
