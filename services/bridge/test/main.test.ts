import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ShutdownExitCode } from "@langtian/service-kit";
import {
  freePort,
  type NatsServer,
  type ProcessExit,
  type ServerProcess,
  spawnServer,
  startNats,
  startNatsWithoutJetStream,
  tempDir,
  testKafkaBootstrap,
  testNatsUrl,
  waitFor,
} from "@langtian/testing";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type ChildBridge, runProvisionCli, startChildBridge } from "../src/testing/child-bridge.ts";
import { missingEvents, publishEvents, readTopic } from "../src/testing/harness.ts";
import { testBridgeEnv, testNames } from "../src/testing/test-env.ts";

const mainScript = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** Runs main.ts with `env` and waits (bounded) for it to exit on its own. */
async function runUntilExit(env: Record<string, string>): Promise<{ exit: ProcessExit; log: string }> {
  const child: ServerProcess = spawnServer({
    command: process.execPath,
    args: [mainScript],
    logFile: join(tempDir("bridge-main"), "bridge.log"),
    env: { ...process.env, ...env, LANGTIAN_BRIDGE_LOG_LEVEL: "info" },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const exit = await Promise.race([
      child.exited,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`still running:\n${child.logTail(20)}`)), 120_000);
      }),
    ]);
    return { exit, log: child.logTail(60) };
  } finally {
    clearTimeout(timer);
    await child.kill();
  }
}

describe("bridge process (main.ts): exit status", () => {
  let natsUrl: string;
  let kafkaBootstrap: string;
  const children: ChildBridge[] = [];
  before(async () => {
    [natsUrl, kafkaBootstrap] = await Promise.all([testNatsUrl(), testKafkaBootstrap()]);
  });
  after(async () => {
    for (const child of children) await child.process.kill();
  });

  it("exits non-zero (failed) when NATS does not answer at start", async () => {
    const deadNats = `nats://127.0.0.1:${await freePort()}`;
    const env = testBridgeEnv({ natsUrl: deadNats, kafkaBootstrap }, testNames("main-dead-nats"));
    const { exit, log } = await runUntilExit(env);
    assert.deepEqual(exit, { code: ShutdownExitCode.failed, signal: null }, log);
    assert.match(log, /"level":60.*"reason":"start failed"/, "the fatal error is logged");
    assert.match(log, /shutdown complete/, "it drained and closed before exiting");
  });

  it("exits non-zero (failed) when the durable consumer was never provisioned", async () => {
    const env = testBridgeEnv({ natsUrl, kafkaBootstrap }, testNames("main-no-consumer"));
    const { exit, log } = await runUntilExit(env);
    assert.deepEqual(exit, { code: ShutdownExitCode.failed, signal: null }, log);
    assert.match(log, /"level":60.*"reason":"start failed"/);
  });

  it("exits 0 on SIGTERM (a requested stop)", async () => {
    const env = testBridgeEnv({ natsUrl, kafkaBootstrap }, testNames("main-stop"));
    await runProvisionCli(env);
    const child = await startChildBridge(env);
    children.push(child);
    const exit = await child.process.stop(30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, child.process.logTail(20));
  });
});

// A bridge (re)started while its NATS cluster elects a leader (a node was just lost) finds
// NATS but JetStream's requests time out for a few seconds; it must wait for JetStream, not
// exit into its service manager's restart loop. Made repeatable with a nats-server without
// JetStream on the port of a stopped JetStream server (its requests find no responder), then
// that JetStream server again, with its store (stream, consumer and events) as it was.
describe("bridge process (main.ts): JetStream not answering at start (dedicated nats-server)", () => {
  let nats: NatsServer | undefined;
  let core: ServerProcess | undefined;
  const bridges: ServerProcess[] = [];
  after(async () => {
    for (const bridge of bridges) await bridge.kill();
    await core?.stop();
    await nats?.stop();
  });

  /** Starts main.ts and waits until it says it waits for JetStream. */
  async function startWaitingBridge(env: Record<string, string>, port: number): Promise<ServerProcess> {
    const bridge = spawnServer({
      command: process.execPath,
      args: [mainScript],
      logFile: join(tempDir("bridge-main"), "bridge.log"),
      env: { ...process.env, ...env, LANGTIAN_BRIDGE_PORT: String(port), LANGTIAN_BRIDGE_LOG_LEVEL: "info" },
    });
    bridges.push(bridge);
    await waitFor(
      async () =>
        /JetStream does not answer yet \(bind the durable consumer\)/.test(bridge.logTail(60))
          ? true
          : undefined,
      {
        what: "the bridge to wait for JetStream",
        timeoutMs: 60_000,
        giveUpIf: () => (bridge.isRunning() ? undefined : `it exited:\n${bridge.logTail(60)}`),
      },
    );
    return bridge;
  }

  it("waits for JetStream, then binds its consumer and bridges what the stream holds; stopped while it waits, it exits 0", async () => {
    const kafkaBootstrap = await testKafkaBootstrap();
    nats = await startNats();
    const names = testNames("main-js-late");
    const env = testBridgeEnv({ natsUrl: nats.url, kafkaBootstrap }, names);
    await runProvisionCli(env);
    const nc = await connect({ servers: nats.url });
    const published = await publishEvents(jetstream(nc), {
      subject: `${names.subjectPrefix}.telemetry`,
      count: 500,
    }).finally(() => nc.close());
    await nats.stop();
    core = await startNatsWithoutJetStream(nats.port);

    // A stop requested while it waits is a clean stop (exit 0), not a failed start (3), which a
    // service manager would answer with a restart.
    const stoppedWhileWaiting = await startWaitingBridge(env, await freePort());
    assert.deepEqual(
      await stoppedWhileWaiting.stop(30_000),
      { code: 0, signal: null },
      stoppedWhileWaiting.logTail(30),
    );

    const port = await freePort();
    const bridge = await startWaitingBridge(env, port);
    const log = () => bridge.logTail(60);
    await core.stop();
    await nats.start();
    const seen = await readTopic({ bootstrap: kafkaBootstrap, topic: names.topic });
    try {
      await seen.until((t) => t.counts.size >= published.eventIds.length, 120_000);
      assert.deepEqual(missingEvents(published.eventIds, seen), []);
    } finally {
      await seen.close();
    }
    assert.ok(bridge.isRunning(), `the bridge kept running:\n${log()}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 200, log());
    assert.doesNotMatch(log(), /"level":60/, "no fatal error on the way");
  });
});
