import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ShutdownExitCode } from "@langtian/service-kit";
import {
  freePort,
  type ProcessExit,
  type ServerProcess,
  spawnServer,
  tempDir,
  testKafkaBootstrap,
  testNatsUrl,
} from "@langtian/testing";
import { type ChildBridge, runProvisionCli, startChildBridge } from "../src/testing/child-bridge.ts";
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
