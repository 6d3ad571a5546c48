import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { uuidv7 } from "@langtian/envelope";
import { testKafkaBootstrap, testNatsUrl, waitFor } from "@langtian/testing";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { type BridgeApp, createApp } from "../src/app.ts";
import { type BridgeConfig, loadBridgeConfig } from "../src/config.ts";
import { BridgeHeaders } from "../src/mapping.ts";
import { runProvision } from "../src/provision-command.ts";
import { missingEvents, publishEvents, readTopic, testEnvelope } from "../src/testing/harness.ts";
import { type TestNames, testBridgeEnv, testNames } from "../src/testing/test-env.ts";

const quiet = () => new Writable({ write: (_chunk, _enc, cb) => cb() });

describe("bridge with a real nats-server and Kafka", () => {
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
    // The shared server's JetStream storage is reserved per stream: give it back.
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
    await nc?.close();
  });

  function configFor(names: TestNames, extra: Record<string, string> = {}): BridgeConfig {
    if (!streams.includes(names.stream)) streams.push(names.stream);
    return loadBridgeConfig(testBridgeEnv({ natsUrl, kafkaBootstrap }, names, extra));
  }

  async function startBridge(config: BridgeConfig): Promise<BridgeApp> {
    const app = createApp(config, { logDestination: quiet() });
    apps.push(app);
    await app.start();
    return app;
  }

  async function metric(app: BridgeApp, name: string): Promise<number> {
    const json = await app.service.metrics.registry.getMetricsAsJSON();
    const m = json.find((x) => x.name === `langtian_bridge_${name}`);
    return (m?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  }

  it("provisions the consumer and topics idempotently, and only binds when provisioned", async () => {
    const names = testNames("prov");
    const config = configFor(names);
    await assert.rejects(
      startBridge(config),
      "no stream and no consumer yet: an instance must not create them",
    );
    const first = await runProvision(config);
    assert.equal(first.stream, "created");
    assert.equal(first.consumer, "created");
    assert.deepEqual([...first.topicsCreated].sort(), [names.topic, names.deadLetterTopic].sort());
    const second = await runProvision(config);
    assert.deepEqual(second, {
      stream: "exists",
      consumer: "unchanged",
      topicsCreated: [],
      topicsExisting: first.topicsCreated,
    });
    const changed = await runProvision(configFor(names, { LANGTIAN_BRIDGE_NATS_MAX_ACK_PENDING: "5000" }));
    assert.equal(changed.consumer, "updated");
    const app = await startBridge(config);
    await app.stop();
    const info = await jsm.consumers.info(names.stream, names.durable);
    assert.equal(info.config.durable_name, names.durable, "stopping an instance never deletes the consumer");
  });

  it("bridges 100k events: every event_id reaches Kafka and is acked; no duplicates in a clean run", async (t) => {
    const names = testNames("bulk");
    const config = configFor(names);
    await runProvision(config);
    const tally = await readTopic({ bootstrap: kafkaBootstrap, topic: names.topic });
    try {
      const app = await startBridge(config);
      const count = 100_000;
      const published = await publishEvents(js, {
        subject: `${names.subjectPrefix}.telemetry`,
        count,
        window: 2000,
      });
      await tally.until((t) => t.counts.size >= count, 600_000);
      assert.deepEqual(missingEvents(published.eventIds, tally), []);
      const naked = await metric(app, "naked_total");
      const errors = await metric(app, "kafka_produce_errors_total");
      const redelivered = await metric(app, "redeliveries_total");
      t.diagnostic(
        `100k: ${tally.duplicates()} duplicates, ${errors} produce errors, ${naked} naked, ${redelivered} redelivered`,
      );
      // A clean run has none. On an overloaded box a produce can time out although it was
      // written, or a message can outlive AckWait and come back; what is then written again
      // duplicates (at-least-once), so only a run without such faults must be exact.
      if (errors === 0 && naked === 0 && redelivered === 0) {
        assert.equal(tally.duplicates(), 0, "no duplicates without faults");
      }
      await waitFor(async () => ((await metric(app, "acked_total")) >= count ? true : undefined), {
        what: "every event acked",
        timeoutMs: 60_000,
      });
      await app.stop();
      const info = await jsm.consumers.info(names.stream, names.durable);
      assert.equal(info.num_ack_pending, 0);
      assert.equal(info.num_pending, 0);
    } finally {
      await tally.close();
    }
  });

  it("keys by partition_key and carries envelope metadata, Nats-Msg-Id and traceparent as headers", async () => {
    const names = testNames("hdr");
    const config = configFor(names, {
      LANGTIAN_BRIDGE_TOPICS_RULES: `${names.subjectPrefix}.alarm=${names.topic}.alarms`,
    });
    await runProvision(config);
    const tally = await readTopic({
      bootstrap: kafkaBootstrap,
      topic: `${names.topic}.alarms`,
      keepRecords: true,
    });
    try {
      await startBridge(config);
      const eventId = uuidv7();
      const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      const h = headers();
      h.set("traceparent", traceparent);
      await js.publish(
        `${names.subjectPrefix}.alarm`,
        testEnvelope({ eventId, partitionKey: "dev-9", payloadBytes: 8 }),
        {
          msgID: eventId,
          headers: h,
        },
      );
      await tally.until((t) => t.total() >= 1, 60_000);
      const [record] = tally.records;
      assert.equal(record?.key, "dev-9");
      assert.equal(record?.headers.get(BridgeHeaders.eventId), eventId);
      assert.equal(record?.headers.get(BridgeHeaders.natsMsgId), eventId);
      assert.equal(record?.headers.get(BridgeHeaders.eventType), "device.telemetry");
      assert.equal(record?.headers.get(BridgeHeaders.traceparent), traceparent);
    } finally {
      await tally.close();
    }
  });

  it("dead-letters a poison message with its reason after the configured deliveries and keeps flowing", async () => {
    const names = testNames("poison");
    const config = configFor(names, { LANGTIAN_BRIDGE_PIPELINE_POISON_MAX_DELIVERIES: "2" });
    await runProvision(config);
    const events = await readTopic({ bootstrap: kafkaBootstrap, topic: names.topic });
    const dlq = await readTopic({
      bootstrap: kafkaBootstrap,
      topic: names.deadLetterTopic,
      keepRecords: true,
    });
    try {
      const app = await startBridge(config);
      const subject = `${names.subjectPrefix}.telemetry`;
      const before = await publishEvents(js, { subject, count: 50 });
      await js.publish(subject, new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0xff]));
      const afterPoison = await publishEvents(js, { subject, count: 50 });
      const all = [...before.eventIds, ...afterPoison.eventIds];
      await events.until((t) => all.every((id) => t.counts.has(id)), 60_000);
      await dlq.until((t) => t.total() >= 1, 60_000);
      const [dead] = dlq.records;
      assert.match(dead?.headers.get(BridgeHeaders.deadLetterReason) ?? "", /^undecodable-envelope/);
      assert.equal(dead?.headers.get(BridgeHeaders.deadLetterDeliveries), "2");
      assert.deepEqual([...(dead?.value ?? [])], [0xde, 0xad, 0xbe, 0xef, 0xff]);
      await waitFor(async () => ((await metric(app, "dead_lettered_total")) === 1 ? true : undefined), {
        what: "dead-letter counted",
        timeoutMs: 30_000,
      });
    } finally {
      await events.close();
      await dlq.close();
    }
  });

  it("shares the load between two instances and loses nothing", async () => {
    const names = testNames("two");
    const config = configFor(names, { LANGTIAN_BRIDGE_NATS_FETCH_BATCH: "100" });
    await runProvision(config);
    const tally = await readTopic({ bootstrap: kafkaBootstrap, topic: names.topic });
    try {
      const a = await startBridge(config);
      const b = await startBridge(config);
      const count = 20_000;
      const published = await publishEvents(js, {
        subject: `${names.subjectPrefix}.telemetry`,
        count,
        window: 500,
      });
      await tally.until((t) => t.counts.size >= count, 300_000);
      assert.deepEqual(missingEvents(published.eventIds, tally), []);
      const [ackedA, ackedB] = [await metric(a, "acked_total"), await metric(b, "acked_total")];
      assert.ok(ackedA > 0 && ackedB > 0, `both instances worked (a=${ackedA}, b=${ackedB})`);
    } finally {
      await tally.close();
    }
  });

  it("drains on stop: settles everything it held, and a restart resumes with nothing lost or stranded", async () => {
    const names = testNames("drain");
    // AckWait far beyond the test's waits: a message stranded by the drain would make it time out.
    const config = configFor(names, { LANGTIAN_BRIDGE_NATS_ACK_WAIT_MS: "600000" });
    await runProvision(config);
    const tally = await readTopic({ bootstrap: kafkaBootstrap, topic: names.topic });
    try {
      const subject = `${names.subjectPrefix}.telemetry`;
      const first = await startBridge(config);
      const publishing = publishEvents(js, { subject, count: 10_000, window: 500 });
      await waitFor(async () => ((await metric(first, "acked_total")) > 0 ? true : undefined), {
        what: "first acks",
        timeoutMs: 60_000,
      });
      const result = await first.service.drain();
      assert.equal(result.phase, "drained");
      assert.deepEqual(result.failed, []);
      await first.service.close();
      const consumed = await metric(first, "consumed_total");
      const acked = await metric(first, "acked_total");
      const naked = await metric(first, "naked_total");
      assert.equal(acked + naked, consumed, "every message it received was acked or handed back");
      await tally.until((t) => t.counts.size >= acked, 30_000);
      await startBridge(config);
      const published = await publishing;
      await tally.until((t) => t.counts.size >= published.eventIds.length, 300_000);
      assert.deepEqual(missingEvents(published.eventIds, tally), []);
    } finally {
      await tally.close();
    }
  });

  it("reports NATS and Kafka in /readyz and serves its metrics", async () => {
    const names = testNames("health");
    const config = configFor(names);
    await runProvision(config);
    const app = await startBridge(config);
    await app.service.listen();
    const ready = await app.service.fastify.inject({ method: "GET", url: "/readyz" });
    assert.equal(ready.statusCode, 200, ready.body);
    const report = ready.json() as { dependencies: { name: string; healthy: boolean }[] };
    assert.deepEqual(
      report.dependencies.map((d) => [d.name, d.healthy]),
      [
        ["nats", true],
        ["kafka", true],
      ],
    );
    const metrics = await app.service.fastify.inject({ method: "GET", url: "/metrics" });
    for (const name of [
      "consumed_total",
      "acked_total",
      "naked_total",
      "kafka_produce_seconds",
      "consumer_pending",
    ]) {
      assert.match(metrics.body, new RegExp(`langtian_bridge_${name}`));
    }
  });
});
