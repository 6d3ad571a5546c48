import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { devicePayloadRegistry } from "@langtian/envelope";
import { testKafkaBootstrap, uniqueName } from "@langtian/testing";
import { createIngestLoop, type IngestLoop } from "../../src/ingest/ingest-loop.ts";
import { createKafkaSource } from "../../src/kafka/kafka-source.ts";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { createTableManager } from "../../src/tables/table-manager.ts";
import { createTopic, produce, telemetryEvents } from "../../src/testing/test-events.ts";
import {
  openWritableTestLake,
  queryNumber as scalar,
  type WritableTestLake,
  waitForNumber,
} from "../../src/testing/test-lake.ts";

describe("ingest loop from a real Kafka into a real DuckLake", () => {
  let bootstrap: string;
  let test: WritableTestLake;
  let check: DuckDBConnection;
  before(async () => {
    bootstrap = await testKafkaBootstrap();
    test = await openWritableTestLake();
    check = test.connection;
  });
  after(() => test.dispose());

  async function startLoop(topic: string, owner: string, groupId: string): Promise<IngestLoop> {
    const connection = await test.lake.connect();
    return createIngestLoop({
      source: createKafkaSource({ bootstrap, topics: [topic], groupId, clientId: owner }),
      writer: createBatchWriter({ connection, tables: createTableManager(connection), maxCommitRetries: 5 }),
      connection,
      owner,
      registry: devicePayloadRegistry,
      limits: { maxBatchRows: 500, maxBatchBytes: 1 << 20, flushIntervalMs: 200 },
    });
  }

  it("writes N events as exactly N rows with typed payload columns, poison records as dead letters", async () => {
    const topic = uniqueName("lw-events");
    await createTopic(bootstrap, topic, 3);
    const events = telemetryEvents(2000);
    const poison = [
      { key: "x", value: new TextEncoder().encode("not an envelope at all \u0000\u00ff") },
      { key: "x", value: new Uint8Array([0x0a, 0x02, 0x41]) },
    ];
    await produce(bootstrap, topic, [...events.slice(0, 1000), ...poison, ...events.slice(1000)]);
    const loop = await startLoop(topic, "writer-1", uniqueName("lw-group"));
    try {
      await waitForNumber(check, "SELECT count(*) FROM lake.device_telemetry_v1", 2000);
      await waitForNumber(check, "SELECT count(*) FROM lake.dead_letters", 2);
    } finally {
      await loop.drain();
    }
    assert.equal(await scalar(check, "SELECT count(DISTINCT event_id) FROM lake.device_telemetry_v1"), 2000);
    assert.equal(
      await scalar(check, "SELECT count(*) FROM lake.device_telemetry_v1 WHERE device_id LIKE 'dev-%'"),
      2000,
    );
    assert.equal(await scalar(check, "SELECT max(sequence) FROM lake.device_telemetry_v1"), 1999);
    assert.equal(
      await scalar(
        check,
        "SELECT count(*) FROM lake.device_telemetry_v1 WHERE readings->>'$[0].metric' = 'temp'",
      ),
      2000,
    );
  });
});
