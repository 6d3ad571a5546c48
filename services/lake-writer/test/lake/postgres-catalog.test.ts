import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { devicePayloadRegistry } from "@langtian/envelope";
import type { LakeConfig } from "@langtian/lake";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { startPostgres, type TestPostgres, tempDir, testKafkaBootstrap, uniqueName } from "@langtian/testing";
import { createIngestLoop, type IngestLoop } from "../../src/ingest/ingest-loop.ts";
import { createKafkaSource } from "../../src/kafka/kafka-source.ts";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { type OpenLake, openLake } from "../../src/lake/open-lake.ts";
import { ensureStateSchema } from "../../src/lake/partition-ledger.ts";
import { createTableManager } from "../../src/tables/table-manager.ts";
import { createTopic, produce, telemetryEvents } from "../../src/testing/test-events.ts";
import { queryNumber, waitForNumber } from "../../src/testing/test-lake.ts";

describe("PostgreSQL catalog shared by two writers", () => {
  let postgres: TestPostgres;
  let bootstrap: string;
  const lakes: OpenLake[] = [];
  const loops: IngestLoop[] = [];
  before(async () => {
    [postgres, bootstrap] = await Promise.all([startPostgres(), testKafkaBootstrap()]);
  });
  after(async () => {
    await Promise.all(loops.map((l) => l.abort()));
    for (const lake of lakes) lake.close();
    await postgres?.stop();
  });

  it("writes exactly N rows with two writer instances, each with its own DuckDB and the same catalog", async () => {
    const config: LakeConfig = {
      catalog: { kind: "postgres", dsn: postgres.dsn },
      dataPath: join(tempDir("pg-lake"), "data"),
    };
    const extensions = await provisionDuckdbExtensions();
    const topic = uniqueName("lw-pg");
    const groupId = uniqueName("lw-pg-group");
    await createTopic(bootstrap, topic, 4);
    await produce(bootstrap, topic, telemetryEvents(4000));
    const failures: unknown[] = [];
    // What each loop did, for the failure message: a stall must say where it stalled.
    const trail: string[] = [];
    const note = (owner: string, what: string) => trail.push(`${new Date().toISOString()} ${owner} ${what}`);
    for (const owner of ["writer-a", "writer-b"]) {
      const lake = await openLake(config, extensions);
      lakes.push(lake);
      const connection = await lake.connect();
      await ensureStateSchema(connection);
      loops.push(
        createIngestLoop({
          source: createKafkaSource({ bootstrap, topics: [topic], groupId, clientId: owner }),
          writer: createBatchWriter({
            connection,
            tables: createTableManager(connection),
            maxCommitRetries: 20,
          }),
          connection,
          owner,
          registry: devicePayloadRegistry,
          limits: { maxBatchRows: 400, maxBatchBytes: 1 << 20, flushIntervalMs: 100 },
          observer: {
            commitFailed: (err) => {
              failures.push(err);
              note(owner, `commit failed: ${String(err)}`);
            },
            pollFailed: (err) => note(owner, `poll failed: ${String(err)}`),
            assigned: (partitions) => note(owner, `assigned ${partitions.join(",")}`),
            fenced: (partitions) => note(owner, `fenced ${partitions.join(",")}`),
            batchCommitted: (info) => note(owner, `committed ${info.rows} rows`),
          },
        }),
      );
    }
    await produce(bootstrap, topic, telemetryEvents(4000, 4000));
    const check = await (lakes[0] as OpenLake).connect();
    await waitForNumber(check, "SELECT count(*) FROM lake.device_telemetry_v1", 8000, 120_000).catch(
      (err: Error) => {
        const loopStates = loops.map((l) => `running=${l.running} positions=${[...l.positions()].join(";")}`);
        throw new Error(
          `${err.message}; commit failures: ${failures.map(String).join(" | ")}; loops: ${loopStates.join(" | ")}; last events: ${trail.slice(-30).join(" | ")}`,
        );
      },
    );
    await Promise.all(loops.map((l) => l.drain()));
    assert.equal(
      await queryNumber(check, "SELECT count(DISTINCT event_id) FROM lake.device_telemetry_v1"),
      8000,
    );
    assert.equal(await queryNumber(check, "SELECT count(*) FROM lake.device_telemetry_v1"), 8000);
  });
});
