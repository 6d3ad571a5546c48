import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { devicePayloadRegistry } from "@langtian/envelope";
import { testNatsUrl, uniqueName } from "@langtian/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createIngestLoop, type IngestLoop } from "../../src/ingest/ingest-loop.ts";
import { createJetStreamSource } from "../../src/jetstream/jetstream-source.ts";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { createTableManager } from "../../src/tables/table-manager.ts";
import { telemetryEvents } from "../../src/testing/test-events.ts";
import {
  openWritableTestLake,
  queryNumber,
  type WritableTestLake,
  waitForNumber,
} from "../../src/testing/test-lake.ts";

const COUNT = "SELECT count(*) FROM lake.device_telemetry_v1";

describe("JetStream source into a real DuckLake", () => {
  let url: string;
  let nc: NatsConnection;
  let test: WritableTestLake;
  let check: DuckDBConnection;
  const loops: IngestLoop[] = [];
  before(async () => {
    url = await testNatsUrl();
    nc = await connect({ servers: url });
    test = await openWritableTestLake();
    check = test.connection;
  });
  after(async () => {
    await Promise.all(loops.map((l) => l.abort()));
    await nc?.close();
    await test.dispose();
  });

  async function publish(subject: string, first: number, count: number): Promise<void> {
    const js = jetstream(nc);
    const acks = telemetryEvents(count, first).map((e) => js.publish(subject, e.value));
    await Promise.all(acks);
  }

  async function startLoop(stream: string, owner: string): Promise<IngestLoop> {
    const connection = await test.lake.connect();
    const loop = createIngestLoop({
      source: createJetStreamSource({ url, stream }),
      writer: createBatchWriter({ connection, tables: createTableManager(connection), maxCommitRetries: 5 }),
      connection,
      owner,
      registry: devicePayloadRegistry,
      limits: { maxBatchRows: 250, maxBatchBytes: 1 << 20, flushIntervalMs: 100 },
    });
    loops.push(loop);
    return loop;
  }

  it("writes exactly N rows across a crash, a restart and a takeover by a second instance", async () => {
    const stream = uniqueName("LW_STREAM").toUpperCase();
    const subject = `${stream.toLowerCase()}.events`;
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [subject] });
    await publish(subject, 0, 2000);
    const first = await startLoop(stream, "writer-1");
    await waitForNumber(check, COUNT, 2000);
    // Crash: whatever the first instance had not committed is simply gone.
    await publish(subject, 2000, 1000);
    await first.abort();
    const second = await startLoop(stream, "writer-2");
    await publish(subject, 3000, 1000);
    // A third instance takes the stream over; the second is fenced at its next commit.
    const third = await startLoop(stream, "writer-3");
    await publish(subject, 4000, 1000);
    await waitForNumber(check, COUNT, 5000);
    await Promise.all([second.drain(), third.drain()]);
    assert.equal(
      await queryNumber(check, "SELECT count(DISTINCT event_id) FROM lake.device_telemetry_v1"),
      5000,
    );
    assert.equal(await queryNumber(check, COUNT), 5000);
    assert.equal(await queryNumber(check, "SELECT max(_position) FROM lake.device_telemetry_v1"), 5000);
  });
});
