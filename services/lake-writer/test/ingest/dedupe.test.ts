import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { devicePayloadRegistry } from "@langtian/envelope";
import { testKafkaBootstrap, testNatsUrl, uniqueName, waitFor } from "@langtian/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createIngestLoop, type IngestLoop } from "../../src/ingest/ingest-loop.ts";
import type { Source } from "../../src/ingest/source.ts";
import { createJetStreamSource } from "../../src/jetstream/jetstream-source.ts";
import { createKafkaSource } from "../../src/kafka/kafka-source.ts";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { createTableManager } from "../../src/tables/table-manager.ts";
import { createTopic, produce, telemetryEvents } from "../../src/testing/test-events.ts";
import {
  openWritableTestLake,
  queryNumber,
  type TestLake,
  waitForNumber,
} from "../../src/testing/test-lake.ts";

const TABLE = "lake.device_telemetry_v1";

/**
 * Copies of events (what a bridge re-sends after a crash, or a collector after the
 * JetStream duplicate window) reach the lake once: within one batch and across batches.
 */
describe("the lake holds each event id once, whatever the source delivers twice", () => {
  let nc: NatsConnection;
  before(async () => {
    nc = await connect({ servers: await testNatsUrl() });
  });
  after(async () => {
    await nc.close();
  });

  /** Runs one source into a lake of its own (the test events' ids are the same in both). */
  async function run(source: Source, send: (events: { key: string; value: Uint8Array }[]) => Promise<void>) {
    const test = await openWritableTestLake();
    try {
      const check = test.connection;
      await deliverTwice(test, check, source, send);
    } finally {
      await test.dispose();
    }
  }

  async function deliverTwice(
    test: TestLake,
    check: DuckDBConnection,
    source: Source,
    send: (events: { key: string; value: Uint8Array }[]) => Promise<void>,
  ): Promise<void> {
    const table = TABLE;
    // First delivery with copies inside it (one batch holds both), then copies of events
    // committed long before, arriving in later batches.
    await send([...telemetryEvents(1000), ...telemetryEvents(300, 200)]);
    let dropped = 0;
    const connection = await test.lake.connect();
    const loop: IngestLoop = createIngestLoop({
      source,
      writer: createBatchWriter({
        connection,
        tables: createTableManager(connection),
        maxCommitRetries: 3,
        dedupe: true,
      }),
      connection,
      owner: "writer",
      registry: devicePayloadRegistry,
      limits: { maxBatchRows: 5000, maxBatchBytes: 8 << 20, flushIntervalMs: 300 },
      dedupe: true,
      observer: {
        batchCommitted: (info) => {
          dropped += info.duplicatesDropped;
        },
      },
    });
    try {
      await waitForNumber(check, `SELECT count(*) FROM ${table}`, 1000);
      await send([...telemetryEvents(500, 700), ...telemetryEvents(200, 1000)]);
      await waitForNumber(check, `SELECT count(*) FROM ${table}`, 1200);
      // Copies: 200…499 in the first delivery, 700…999 of the second, and 1000…1199 twice in it.
      const copies = 300 + 300 + 200;
      await waitFor(async () => (dropped === copies ? true : undefined), {
        what: `${copies} copies counted as dropped`,
        timeoutMs: 30_000,
      }).catch((err: Error) => {
        throw new Error(`${err.message}; counted ${dropped}`);
      });
    } finally {
      await loop.drain();
    }
    assert.equal(await queryNumber(check, `SELECT count(*) FROM ${table}`), 1200);
    assert.equal(await queryNumber(check, `SELECT count(DISTINCT event_id) FROM ${table}`), 1200);
  }

  it("from Kafka (copies keyed like their originals, so in the same partition)", async () => {
    const bootstrap = await testKafkaBootstrap();
    const topic = uniqueName("lw-dedupe");
    await createTopic(bootstrap, topic, 3);
    await run(
      createKafkaSource({ bootstrap, topics: [topic], groupId: uniqueName("lw-dedupe"), clientId: "dedupe" }),
      (events) => produce(bootstrap, topic, events),
    );
  });

  it("from JetStream (copies published without a message id, so the stream keeps both)", async () => {
    const stream = uniqueName("LW_DEDUPE").toUpperCase();
    const subject = `${stream.toLowerCase()}.events`;
    await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [subject] });
    const js = jetstream(nc);
    await run(createJetStreamSource({ url: await testNatsUrl(), stream }), async (events) => {
      for (const e of events) await js.publish(subject, e.value);
    });
  });
});
