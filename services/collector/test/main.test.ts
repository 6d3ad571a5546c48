import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ShutdownExitCode } from "@langtian/service-kit";
import {
  freePort,
  type ServerProcess,
  spawnServer,
  tempDir,
  testNatsUrl,
  uniqueName,
  waitFor,
} from "@langtian/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

const mainScript = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** Env of a collector on `httpPort`, one UDP listener on `udpPort`, NATS at `natsUrl`. */
function collectorEnv(natsUrl: string, httpPort: number, udpPort: number): Record<string, string> {
  const name = uniqueName("collector-main");
  return {
    LANGTIAN_COLLECTOR_PORT: String(httpPort),
    LANGTIAN_COLLECTOR_LOG_LEVEL: "info",
    LANGTIAN_COLLECTOR_NATS_URL: natsUrl,
    LANGTIAN_COLLECTOR_NATS_STARTUP_WAIT_MS: "200",
    LANGTIAN_COLLECTOR_STREAM_NAME: name.toUpperCase(),
    LANGTIAN_COLLECTOR_STREAM_SUBJECT_PREFIX: `${name}.events`,
    LANGTIAN_COLLECTOR_UDP_LISTENERS: `udp://127.0.0.1:${udpPort}?decoder=json&event_type=device.telemetry&source_system=main-test`,
    LANGTIAN_COLLECTOR_SPOOL_DIR: tempDir("collector-main-spool"),
  };
}

// NATS is unreachable in most of these: not fatal for the collector, by design.
describe("collector process (main.ts): exit status", () => {
  const children: ServerProcess[] = [];
  const sockets: Socket[] = [];
  after(async () => {
    for (const child of children) await child.kill();
    for (const socket of sockets) socket.close();
  });

  function spawnCollector(env: Record<string, string>): ServerProcess {
    const child = spawnServer({
      command: process.execPath,
      args: [mainScript],
      logFile: join(tempDir("collector-main"), "collector.log"),
      env: { ...process.env, ...env },
    });
    children.push(child);
    return child;
  }

  it("exits non-zero (failed) after its drain when its UDP port is taken", async () => {
    const taken = createSocket("udp4");
    sockets.push(taken);
    await new Promise<void>((resolve) => taken.bind(0, "127.0.0.1", resolve));
    const deadNats = `nats://127.0.0.1:${await freePort()}`;
    const child = spawnCollector(collectorEnv(deadNats, await freePort(), taken.address().port));
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      child.exited,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`still running:\n${child.logTail(20)}`)), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    const log = child.logTail(60);
    assert.deepEqual(exit, { code: ShutdownExitCode.failed, signal: null }, log);
    assert.match(log, /"level":60.*"reason":"start failed"/, "the fatal error is logged");
    assert.match(log, /EADDRINUSE/);
    assert.match(log, /shutdown complete/, "it drained and closed before exiting");
  });

  it("keeps running (spooling) while NATS is unreachable, and exits 0 on SIGTERM", async () => {
    const deadNats = `nats://127.0.0.1:${await freePort()}`;
    const httpPort = await freePort();
    const child = spawnCollector(collectorEnv(deadNats, httpPort, await freePort()));
    await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => undefined);
        return res === undefined ? undefined : true;
      },
      {
        what: "the collector answering without NATS",
        timeoutMs: 60_000,
        giveUpIf: () => (child.isRunning() ? undefined : `it exited:\n${child.logTail(20)}`),
      },
    );
    assert.match(child.logTail(60), /NATS is not reachable: accepting events into the spool/);
    const exit = await child.stop(30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, child.logTail(20));
  });
  it("exits non-zero (failed) when NATS answers but its stream cannot be provisioned", async () => {
    const natsUrl = await testNatsUrl();
    const env = collectorEnv(natsUrl, await freePort(), await freePort());
    // Another stream already takes the collector's subjects: JetStream refuses the overlap.
    const nc = await connect({ servers: natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({
        name: uniqueName("squatter").toUpperCase(),
        subjects: [`${env.LANGTIAN_COLLECTOR_STREAM_SUBJECT_PREFIX}.>`],
      });
    } finally {
      await nc.close();
    }
    const child = spawnCollector(env);
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      child.exited,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`still running:\n${child.logTail(20)}`)), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.deepEqual(exit, { code: ShutdownExitCode.failed, signal: null }, child.logTail(20));
    const log = child.logTail(20);
    assert.match(log, /fatal: start failed/);
    assert.match(log, /StreamProvisionError.*overlap/i, "the log names why");
  });
});
