import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { BridgeService } from "@langtian/proto";
import { testKafkaBootstrap, testNatsUrl } from "@langtian/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type BridgeApp, createApp } from "../src/app.ts";
import { type BridgeConfig, loadBridgeConfig } from "../src/config.ts";
import { runProvision } from "../src/provision-command.ts";
import { testBridgeEnv, testNames } from "../src/testing/test-env.ts";

const quiet = () => new Writable({ write: (_chunk, _enc, cb) => cb() });

/** GetBridgeState of `app`, asked over Connect like the admin service will. */
async function bridgeStateOf(app: BridgeApp) {
  const { url } = await app.service.listen();
  const client = createClient(BridgeService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
  return client.getBridgeState({});
}

describe("BridgeService.GetBridgeState over Connect", () => {
  let natsUrl: string;
  let kafkaBootstrap: string;
  const apps: BridgeApp[] = [];
  const streams: string[] = [];

  before(async () => {
    natsUrl = await testNatsUrl();
    kafkaBootstrap = await testKafkaBootstrap();
  });

  after(async () => {
    for (const app of apps) await app.stop().catch(() => undefined);
    const nc = await connect({ servers: natsUrl });
    const jsm = await jetstreamManager(nc);
    // The shared server's JetStream storage is reserved per stream: give it back.
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  });

  function configFor(prefix: string, extra: Record<string, string> = {}): BridgeConfig {
    const names = testNames(prefix);
    streams.push(names.stream);
    return loadBridgeConfig(
      testBridgeEnv({ natsUrl, kafkaBootstrap }, names, {
        LANGTIAN_BRIDGE_TOPICS_RULES: `${names.subjectPrefix}.alarm.>=${names.topic}.alarms,${names.subjectPrefix}.*.status=${names.topic}.status`,
        ...extra,
      }),
    );
  }

  function appFor(config: BridgeConfig): BridgeApp {
    const app = createApp(config, { logDestination: quiet() });
    apps.push(app);
    return app;
  }

  it("reports the configured consumer and routing, inactive before start", async () => {
    const config = configFor("state-idle");
    const state = await bridgeStateOf(appFor(config));
    assert.equal(state.stream, config.nats.stream);
    assert.equal(state.durable, config.nats.durable);
    assert.equal(state.ordered, false);
    assert.equal(state.active, false);
    assert.equal(state.inFlight, 0);
    assert.deepEqual(
      state.topicRules.map((r) => [r.subjectPattern, r.topic]),
      config.topicRules.map((r) => [r.subject, r.topic]),
    );
    assert.equal(state.topicRules.length, 2);
    assert.equal(state.defaultTopic, config.topics.defaultTopic);
    assert.equal(state.deadLetterTopic, config.topics.deadLetterTopic);
  });

  it("reports a started shared-mode instance as active", async () => {
    const config = configFor("state-shared");
    await runProvision(config);
    const app = appFor(config);
    await app.start();
    const state = await bridgeStateOf(app);
    assert.equal(state.ordered, false);
    assert.equal(state.active, true);
    assert.equal(state.active, app.active());
    assert.equal(state.inFlight, 0, "nothing published: nothing held");
    assert.equal(state.stream, config.nats.stream);
  });

  it("reports ordered mode from the provisioned consumer", async () => {
    const config = configFor("state-ordered", { LANGTIAN_BRIDGE_NATS_ORDERED: "true" });
    await runProvision(config);
    const app = appFor(config);
    await app.start();
    const state = await bridgeStateOf(app);
    assert.equal(state.ordered, true);
    assert.equal(state.active, app.active(), "active means pinned in ordered mode");
  });
});
