import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type KafkaCluster, type NatsServer, startKafka, startNats, waitFor } from "@langtian/testing";
import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { loadBridgeConfig } from "../src/config.ts";
import { runProvision } from "../src/provision-command.ts";
import { type ChildBridge, runProvisionCli, startChildBridge } from "../src/testing/child-bridge.ts";
import { type KafkaTally, missingEvents, publishEvents, readTopic } from "../src/testing/harness.ts";
import { type TestNames, testBridgeEnv, testNames } from "../src/testing/test-env.ts";

/** Kafka outage length the issue asks the bridge to survive. */
const OUTAGE_MS = 30_000;

// These tests stop, kill and restart servers and bridges: they get their own nats-server and Kafka.
describe("bridge under faults (dedicated nats-server and Kafka, bridge as a child process)", () => {
  let nats: NatsServer;
  let kafka: KafkaCluster;
  let nc: NatsConnection;
  let js: JetStreamClient;
  const children: ChildBridge[] = [];
  const tallies: KafkaTally[] = [];

  before(async () => {
    [nats, kafka] = await Promise.all([startNats(), startKafka()]);
    nc = await connect({ servers: nats.url });
    js = jetstream(nc);
  });

  after(async () => {
    for (const c of children) await c.process.kill().catch(() => undefined);
    for (const t of tallies) await t.close().catch(() => undefined);
    await nc?.close();
    await kafka?.stop();
    await nats?.stop();
  });

  function env(names: TestNames, extra: Record<string, string> = {}): Record<string, string> {
    return testBridgeEnv({ natsUrl: nats.url, kafkaBootstrap: kafka.bootstrap }, names, {
      // Short AckWait so messages of a killed instance come back within the test.
      LANGTIAN_BRIDGE_NATS_ACK_WAIT_MS: "3000",
      ...extra,
    });
  }

  async function spawn(e: Record<string, string>): Promise<ChildBridge> {
    const child = await startChildBridge(e);
    children.push(child);
    return child;
  }

  async function tally(topic: string): Promise<KafkaTally> {
    const t = await readTopic({ bootstrap: kafka.bootstrap, topic });
    tallies.push(t);
    return t;
  }

  it("loses nothing when an instance is SIGKILLed mid-stream and restarted (duplicates counted)", async (t) => {
    const names = testNames("kill");
    const e = env(names);
    const report = await runProvisionCli(e);
    assert.deepEqual((report as { provisioned: { consumer: string } }).provisioned.consumer, "created");
    const seen = await tally(names.topic);
    const first = await spawn(e);
    const count = 20_000;
    const publishing = publishEvents(js, { subject: `${names.subjectPrefix}.telemetry`, count, window: 500 });
    await seen.until((s) => s.counts.size >= 2_000, 120_000);
    await first.process.kill();
    await spawn(e);
    const published = await publishing;
    await seen.until((s) => s.counts.size >= count, 300_000);
    assert.deepEqual(missingEvents(published.eventIds, seen), []);
    t.diagnostic(`SIGKILL mid-stream: ${count} events, ${seen.duplicates()} duplicates in Kafka`);
  });

  it("stops acking while Kafka is down for 30 s, then resumes and loses nothing", async (t) => {
    const names = testNames("outage");
    const e = env(names, {
      LANGTIAN_BRIDGE_KAFKA_REQUEST_TIMEOUT_MS: "2000",
      LANGTIAN_BRIDGE_KAFKA_RETRIES: "2",
    });
    await runProvision(loadBridgeConfig(e));
    const seen = await tally(names.topic);
    const bridge = await spawn(e);
    const subject = `${names.subjectPrefix}.telemetry`;
    const beforeOutage = await publishEvents(js, { subject, count: 2_000 });
    await seen.until((s) => s.counts.size >= 2_000, 120_000);

    await kafka.stopBroker(0);
    const ackedAtStop = await bridge.metric("acked_total");
    const duringOutage = await publishEvents(js, { subject, count: 2_000, ratePerSec: 200 });
    await waitFor(async () => ((await bridge.metric("kafka_produce_errors_total")) > 0 ? true : undefined), {
      what: "a produce error",
      timeoutMs: OUTAGE_MS,
    });
    // The outage itself lasts a fixed time on purpose: it is the fault, not a wait for a result.
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS - 10_000));
    assert.equal(await bridge.metric("acked_total"), ackedAtStop, "nothing acked while Kafka is down");
    assert.ok((await bridge.metric("naked_total")) > 0, "failed writes are naked with backoff");

    await kafka.startBroker(0);
    const all = [...beforeOutage.eventIds, ...duringOutage.eventIds];
    await seen.until((s) => all.every((id) => s.counts.has(id)), 300_000);
    assert.deepEqual(missingEvents(all, seen), []);
    t.diagnostic(`Kafka outage: ${all.length} events, ${seen.duplicates()} duplicates in Kafka`);
  });

  it("ordered mode: one active instance; when it is killed the other takes over and per-key order holds", async (t) => {
    const names = testNames("ordered");
    const e = env(names, {
      LANGTIAN_BRIDGE_NATS_ORDERED: "true",
      // A silent pinned instance loses the pin after 4 s (a killed one at once, when its connection drops).
      LANGTIAN_BRIDGE_NATS_PINNED_TIMEOUT_MS: "4000",
      LANGTIAN_BRIDGE_KAFKA_PARTITIONS: "1",
    });
    await runProvision(loadBridgeConfig(e));
    const seen = await tally(names.topic);
    const a = await spawn(e);
    const b = await spawn(e);
    const count = 6_000;
    const publishing = publishEvents(js, {
      subject: `${names.subjectPrefix}.telemetry`,
      count,
      keys: 8,
      ratePerSec: 1_000,
      window: 100,
    });
    await seen.until((s) => s.counts.size >= 1_000, 120_000);
    const [ackedA, ackedB] = [await a.metric("acked_total"), await b.metric("acked_total")];
    assert.ok(ackedA === 0 || ackedB === 0, `only one instance is active (a=${ackedA}, b=${ackedB})`);
    const [active, standby] = ackedA > 0 ? [a, b] : [b, a];
    await active.process.kill();
    const published = await publishing;
    await seen.until((s) => s.counts.size >= count, 300_000);
    assert.deepEqual(missingEvents(published.eventIds, seen), []);
    assert.ok((await standby.metric("acked_total")) > 0, "the standby took over");
    const position = new Map(published.eventIds.map((id, i) => [id, i]));
    for (const [key, order] of seen.orderByKey) {
      const firstSeen = [...new Set(order)].map((id) => position.get(id) ?? -1);
      const outOfOrder = firstSeen.findIndex((p, i) => i > 0 && p < (firstSeen[i - 1] ?? -1));
      assert.equal(
        outOfOrder,
        -1,
        `key ${key}: publish positions around the break: ${firstSeen.slice(Math.max(0, outOfOrder - 5), outOfOrder + 5)}`,
      );
    }
    t.diagnostic(`ordered failover: ${count} events, ${seen.duplicates()} duplicates in Kafka`);
  });
});
