import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { createEnvelope, EventHeader, encodeEnvelope, uuidv7 } from "@langtian/envelope";
import type { Envelope } from "@langtian/proto";
import { testKafkaBootstrap, testNatsUrl, waitFor } from "@langtian/testing";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Message } from "@platformatic/kafka";
import { type BridgeApp, createApp } from "../src/app.ts";
import { type BridgeConfig, loadBridgeConfig } from "../src/config.ts";
import { DecodeCause } from "../src/event-metadata.ts";
import { messageHeaders, readsRawHeaders, suppressPullsWhen } from "../src/jetstream-source.ts";
import { BridgeHeaders } from "../src/mapping.ts";
import { runProvision } from "../src/provision-command.ts";
import { eventHeadersOf, readTopic } from "../src/testing/harness.ts";
import { type TestNames, testBridgeEnv, testNames } from "../src/testing/test-env.ts";

const quiet = () => new Writable({ write: (_chunk, _enc, cb) => cb() });
const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

/** Envelopes with and without each optional field the headers carry, some non-ASCII text. */
function envelopes(count: number): Envelope[] {
  return Array.from({ length: count }, (_, i) =>
    createEnvelope({
      eventId: uuidv7(),
      eventType: "device.telemetry",
      eventTime: new Date(Date.UTC(2026, 11, 2, 9, 30, 0, i)),
      schemaVersion: "1.0",
      sourceSystem: i % 2 === 0 ? "plant-a/line-3" : "plant-ä/línea-3",
      ...(i % 3 === 0 ? {} : { partitionKey: `dev-${i % 5}` }),
      payloadType: "application/octet-stream",
      payload: new Uint8Array([i, 1, 2, 3]),
      ...(i % 4 === 0 ? { traceContext: { traceparent, tracestate: i % 8 === 0 ? "v=1" : "" } } : {}),
    }),
  );
}

type KafkaRecord = Message<string, Buffer, string, string>;

describe("bridge on event headers, with a real nats-server and Kafka", () => {
  let natsUrl: string;
  let kafkaBootstrap: string;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const apps: BridgeApp[] = [];
  const streams: string[] = [];

  before(async () => {
    natsUrl = await testNatsUrl();
    kafkaBootstrap = await testKafkaBootstrap();
    nc = await connect({ servers: natsUrl });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  });

  after(async () => {
    for (const app of apps) await app.stop().catch(() => undefined);
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
    await nc?.close();
  });

  async function bridgeFor(names: TestNames, extra: Record<string, string> = {}): Promise<BridgeApp> {
    streams.push(names.stream);
    const config: BridgeConfig = loadBridgeConfig(testBridgeEnv({ natsUrl, kafkaBootstrap }, names, extra));
    await runProvision(config);
    const app = createApp(config, { logDestination: quiet() });
    apps.push(app);
    await app.start();
    return app;
  }

  async function decoded(app: BridgeApp, reason: string): Promise<number> {
    const json = await app.service.metrics.registry.getMetricsAsJSON();
    const m = json.find((x) => x.name === "langtian_bridge_decoded_total");
    return m?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
  }

  /** Reads `count` records of a topic, by event id. */
  async function recordsOf(topic: string, count: number): Promise<Map<string, KafkaRecord>> {
    const tally = await readTopic({ bootstrap: kafkaBootstrap, topic, keepRecords: true });
    try {
      await tally.until((t) => t.counts.size >= count, 120_000);
      return new Map(tally.records.map((r) => [r.headers.get(BridgeHeaders.eventId) ?? "", r]));
    } finally {
      await tally.close();
    }
  }

  it("writes from the headers records identical to those the decode path writes for the same envelopes", async () => {
    const withHeaders = testNames("hdrs");
    const without = testNames("nohdrs");
    const headerApp = await bridgeFor(withHeaders);
    const decodeApp = await bridgeFor(without);
    const list = envelopes(40);
    for (const envelope of list) {
      const data = encodeEnvelope(envelope);
      await js.publish(`${withHeaders.subjectPrefix}.telemetry`, data, {
        msgID: envelope.eventId,
        headers: eventHeadersOf(envelope),
      });
      await js.publish(`${without.subjectPrefix}.telemetry`, data, { msgID: envelope.eventId });
    }
    const fromHeaders = await recordsOf(withHeaders.topic, list.length);
    const fromEnvelope = await recordsOf(without.topic, list.length);
    for (const envelope of list) {
      const a = fromHeaders.get(envelope.eventId) ?? assert.fail(`${envelope.eventId} missing`);
      const b = fromEnvelope.get(envelope.eventId) ?? assert.fail(`${envelope.eventId} missing`);
      assert.deepEqual(a.value, Buffer.from(encodeEnvelope(envelope)), "value: the envelope bytes");
      assert.deepEqual(a.value, b.value);
      assert.equal(a.key, b.key);
      assert.equal(a.key, envelope.partitionKey ?? envelope.sourceSystem);
      assert.equal(a.partition, b.partition, "same key, same partition count: same partition");
      // The subjects differ by their test prefix only; everything else is the same.
      const strip = (r: KafkaRecord) => {
        const h = new Map(r.headers);
        assert.match(h.get(BridgeHeaders.natsSubject) ?? "", /\.telemetry$/);
        h.delete(BridgeHeaders.natsSubject);
        return [...h];
      };
      assert.deepEqual(strip(a), strip(b));
      assert.equal(a.headers.get(EventHeader.eventTimestamp), b.headers.get(EventHeader.eventTimestamp));
    }
    assert.equal(await decoded(headerApp, DecodeCause.noHeaders), 0, "nothing decoded on the header path");
    assert.equal(await decoded(headerApp, DecodeCause.malformedHeaders), 0);
    assert.equal(
      await decoded(decodeApp, DecodeCause.noHeaders),
      list.length,
      "every header-less one decoded",
    );
  });

  it("decodes a message with malformed headers and dead-letters one that does not decode, as before", async () => {
    const names = testNames("badhdrs");
    const app = await bridgeFor(names, { LANGTIAN_BRIDGE_PIPELINE_POISON_MAX_DELIVERIES: "2" });
    const [envelope] = envelopes(2);
    if (envelope === undefined) assert.fail();
    const badTime = eventHeadersOf(envelope);
    badTime.set(EventHeader.eventTimestamp, "2026-12-02T09:30:00Z");
    badTime.set(EventHeader.partitionKey, "not-the-key");
    const subject = `${names.subjectPrefix}.telemetry`;
    await js.publish(subject, encodeEnvelope(envelope), { msgID: envelope.eventId, headers: badTime });
    const poisonHeaders = eventHeadersOf(envelope);
    poisonHeaders.set(EventHeader.eventType, "");
    await js.publish(subject, new Uint8Array([0xde, 0xad]), { msgID: uuidv7(), headers: poisonHeaders });

    const [record] = [...(await recordsOf(names.topic, 1)).values()];
    assert.equal(record?.key, envelope.partitionKey ?? envelope.sourceSystem, "keyed from the envelope");
    assert.equal(record?.headers.get(EventHeader.eventTimestamp), "2026-12-02T09:30:00.000Z");
    const dlq = await readTopic({
      bootstrap: kafkaBootstrap,
      topic: names.deadLetterTopic,
      keepRecords: true,
    });
    try {
      await dlq.until((t) => t.total() >= 1, 60_000);
      assert.match(
        dlq.records[0]?.headers.get(BridgeHeaders.deadLetterReason) ?? "",
        /^undecodable-envelope/,
      );
    } finally {
      await dlq.close();
    }
    await waitFor(async () => ((await decoded(app, DecodeCause.malformedHeaders)) >= 3 ? true : undefined), {
      what: "both malformed sets counted (the poison one on each of its 2 deliveries)",
      timeoutMs: 30_000,
    });
  });

  it("reads headers from the client's raw header block, as the client itself reads them", async () => {
    const names = testNames("raw");
    streams.push(names.stream);
    await jsm.streams.add({ name: names.stream, subjects: [`${names.subjectPrefix}.>`] });
    const [envelope] = envelopes(1);
    if (envelope === undefined) assert.fail();
    await js.publish(`${names.subjectPrefix}.x`, encodeEnvelope(envelope), {
      msgID: envelope.eventId,
      headers: eventHeadersOf(envelope),
    });
    const consumer = await js.consumers.get(names.stream);
    const m = (await consumer.next({ expires: 5_000 })) ?? assert.fail("no message");
    assert.ok(readsRawHeaders(m), "the client still keeps the raw block where the bridge reads it");
    const h = m.headers ?? assert.fail("no headers");
    assert.deepEqual(messageHeaders(m), new Map(h.keys().map((name) => [name, h.get(name)])));
    assert.equal(messageHeaders(m).get(EventHeader.sourceSystem), envelope.sourceSystem);
  });

  it("keeps the consume internals a drain relies on: its inbox and its pull method", async () => {
    const names = testNames("internals");
    streams.push(names.stream);
    await jsm.streams.add({ name: names.stream, subjects: [`${names.subjectPrefix}.>`] });
    const consumer = await js.consumers.get(names.stream);
    const messages = await consumer.consume({ max_messages: 10, expires: 2_000, callback: () => undefined });
    try {
      assert.equal(
        typeof (messages as unknown as { inbox?: unknown }).inbox,
        "string",
        "the sweeper's inbox",
      );
      assert.ok(
        suppressPullsWhen(messages, () => false),
        "a stopped consume can be kept from pulling again",
      );
    } finally {
      messages.stop();
    }
  });
});
