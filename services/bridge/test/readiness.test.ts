import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { type KafkaCluster, type NatsServer, startKafka, startNats, waitFor } from "@langtian/testing";
import { type BridgeApp, createApp } from "../src/app.ts";
import { loadBridgeConfig } from "../src/config.ts";
import { runProvision } from "../src/provision-command.ts";
import { testBridgeEnv, testNames } from "../src/testing/test-env.ts";

/** What /readyz said about one dependency. */
interface DependencyReport {
  readonly name: string;
  readonly healthy: boolean;
  readonly withinGrace?: boolean;
  readonly unhealthySinceMs?: number;
}

const GRACE_MS = 2_000;

// Stops and restarts NATS and Kafka: a dedicated nats-server and Kafka.
describe("bridge readiness (dedicated nats-server and Kafka)", () => {
  let nats: NatsServer;
  let kafka: KafkaCluster;
  let app: BridgeApp;
  let url: string;

  before(async () => {
    [nats, kafka] = await Promise.all([startNats(), startKafka()]);
    const names = testNames("ready");
    const config = loadBridgeConfig(
      testBridgeEnv({ natsUrl: nats.url, kafkaBootstrap: kafka.bootstrap }, names, {
        LANGTIAN_BRIDGE_READINESS_GRACE_MS: String(GRACE_MS),
        LANGTIAN_BRIDGE_KAFKA_REQUEST_TIMEOUT_MS: "2000",
        LANGTIAN_BRIDGE_KAFKA_RETRIES: "2",
      }),
    );
    await runProvision(config);
    app = createApp(config, {
      logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }),
    });
    await app.start();
    url = (await app.service.listen()).url;
  });

  after(async () => {
    await app?.stop();
    await kafka?.stop();
    await nats?.stop();
  });

  async function readyz(): Promise<{ status: number; deps: DependencyReport[] }> {
    const res = await fetch(`${url}/readyz`);
    return {
      status: res.status,
      deps: ((await res.json()) as { dependencies: DependencyReport[] }).dependencies,
    };
  }

  /** Polls /readyz until `accept` takes an answer; returns it. */
  async function until(
    what: string,
    accept: (r: { status: number; deps: DependencyReport[] }) => boolean,
  ): Promise<{ status: number; deps: DependencyReport[] }> {
    return waitFor(
      async () => {
        const r = await readyz();
        return accept(r) ? r : undefined;
      },
      { what, timeoutMs: 60_000, intervalMs: 100 },
    );
  }

  /**
   * The dependency goes down: first still ready within its grace (when a poll lands inside
   * it), then 503 once the grace has run out, counted from when it went down; 200 once back.
   */
  async function checkOutage(name: string, stop: () => Promise<void>, start: () => Promise<void>) {
    const ok = await until("ready with every dependency healthy", (r) => r.status === 200);
    assert.ok(ok.deps.every((d) => d.healthy));
    await stop();
    const down = await until(`503 with ${name} down`, (r) => r.status === 503);
    const dep = down.deps.find((d) => d.name === name);
    assert.equal(dep?.healthy, false, `${name} is the reason`);
    assert.equal(dep?.withinGrace, false);
    assert.ok(dep?.unhealthySinceMs !== undefined, "the report says since when");
    assert.ok(
      down.deps.filter((d) => d.name !== name).every((d) => d.healthy),
      "only the stopped dependency is unhealthy",
    );
    await start();
    await until(
      `ready again after ${name} is back`,
      (r) => r.status === 200 && r.deps.every((d) => d.healthy),
    );
  }

  it("turns not ready when NATS is unreachable beyond the grace, and ready again when it is back", async () => {
    await checkOutage(
      "nats",
      () => nats.stop(),
      () => nats.start(),
    );
  });

  it("turns not ready when Kafka is unreachable beyond the grace, and ready again when it is back", async () => {
    await checkOutage(
      "kafka",
      () => kafka.stopBroker(0),
      () => kafka.startBroker(0),
    );
  });

  it("keeps /healthz about the process: 200 whatever its dependencies do", async () => {
    await kafka.stopBroker(0);
    try {
      await until("503 with Kafka down", (r) => r.status === 503);
      const res = await fetch(`${url}/healthz`);
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { live: boolean }).live, true);
    } finally {
      await kafka.startBroker(0);
    }
    await until("ready again", (r) => r.status === 200);
  });
});
