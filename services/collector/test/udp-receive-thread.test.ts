import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import { testNatsUrl, waitFor } from "@langtian/testing";
import { createApp } from "../src/app.ts";
import { runSimulator } from "../src/simulator/device-simulator.ts";
import {
  connectTo,
  isolatedConfig,
  metricValue,
  quietLog,
  waitForStreamCount,
} from "../src/testing/test-helpers.ts";
import { listenUdpThread } from "../src/udp-receive-thread.ts";

// OS threads of this process (Linux); a worker thread left running would show up here.
const threadCount = () => readdirSync("/proc/self/task").length;
/** Waits until the process is back to `count` OS threads (a joined thread disappears shortly after). */
async function threadsBackTo(count: number): Promise<void> {
  await waitFor(async () => (threadCount() <= count ? true : undefined), {
    what: `${count} threads (now ${threadCount()})`,
    timeoutMs: 10_000,
  });
}

const noProcTasks = existsSync("/proc/self/task") ? false : "no /proc/self/task on this host";

/** Bytes waiting in the kernel receive queue of a 127.0.0.1 UDP port (Linux `/proc/net/udp`). */
function kernelQueuedBytes(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const row = readFileSync("/proc/net/udp", "utf8")
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .find((cols) => cols[1] === local);
  return Number.parseInt(row?.[4]?.split(":")[1] ?? assert.fail(`port ${port} not in /proc/net/udp`), 16);
}

// Sends `n` one-byte datagrams from another thread while the main thread is blocked, then sets flag[0].
const SENDER = `
const { parentPort } = require("node:worker_threads");
const dgram = require("node:dgram");
parentPort.once("message", async ({ port, n, flag }) => {
  const s = dgram.createSocket("udp4");
  for (let i = 0; i < n; i++) await new Promise((r) => s.send(Buffer.of(i % 256), port, "127.0.0.1", r));
  s.close();
  const f = new Int32Array(flag);
  Atomics.store(f, 0, 1);
  Atomics.notify(f, 0);
});`;

async function sendAll(port: number, datagrams: readonly Uint8Array[]): Promise<void> {
  const socket = createSocket("udp4");
  try {
    for (const d of datagrams) {
      await new Promise<void>((resolve, reject) =>
        socket.send(d, port, "127.0.0.1", (err) => (err ? reject(err) : resolve())),
      );
    }
  } finally {
    socket.close();
  }
}

describe("UDP receive thread", () => {
  it("hands every datagram over in order with its bytes and ends its thread on close", {
    skip: noProcTasks,
  }, async () => {
    // A first listener warms up what Node starts once per process (thread pool, loaders).
    const warm = await listenUdpThread(
      { host: "127.0.0.1", port: 0, receiveBufferBytes: 1024 * 1024 },
      { maxQueued: 1_024 },
      () => {},
      assert.fail,
      assert.fail,
    );
    await warm.close();
    const threadsBefore = threadCount();
    const got: number[][] = [];
    const listener = await listenUdpThread(
      { host: "127.0.0.1", port: 0, receiveBufferBytes: 1024 * 1024 },
      { maxQueued: 1_024, batchDatagrams: 7 },
      (d, receivedAtMs) => {
        assert.ok(receivedAtMs > 0);
        got.push([...d]);
      },
      assert.fail,
      assert.fail,
    );
    assert.equal(threadCount(), threadsBefore + 1);
    const sent = Array.from({ length: 50 }, (_, i) =>
      Uint8Array.from({ length: i + 1 }, (_, j) => (i + j) % 256),
    );
    await sendAll(listener.port, sent);
    await waitFor(async () => (got.length === sent.length ? true : undefined), {
      what: "every datagram handed over",
      timeoutMs: 30_000,
    });
    await listener.close();
    assert.deepEqual(
      got,
      sent.map((d) => [...d]),
    );
    await threadsBackTo(threadsBefore);
  });

  it("drops and counts datagrams beyond the hand-over limit while the main thread is busy", {
    skip: existsSync("/proc/net/udp") ? false : "no /proc/net/udp on this host",
  }, async () => {
    const sent = 101;
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const sender = new Worker(SENDER, { eval: true });
    let handed = 0;
    let dropped = 0;
    let droppedBytes = 0;
    let port = 0;
    const listener = await listenUdpThread(
      { host: "127.0.0.1", port: 0, receiveBufferBytes: 1024 * 1024 },
      { maxQueued: 10 },
      () => {
        handed++;
        if (handed > 1) return;
        // Block the main thread (nothing handed over is processed) until the sender is done
        // and the receive thread has read every datagram from the kernel.
        Atomics.wait(flag, 0, 0, 30_000);
        for (let i = 0; i < 6_000 && kernelQueuedBytes(port) > 0; i++) Atomics.wait(flag, 0, 1, 5);
      },
      (n, bytes) => {
        dropped += n;
        droppedBytes += bytes;
      },
      assert.fail,
    );
    port = listener.port;
    try {
      sender.postMessage({ port, n: sent, flag: flag.buffer });
      await waitFor(async () => (handed + dropped === sent ? true : undefined), {
        what: "every datagram handed over or dropped",
        timeoutMs: 60_000,
      });
      assert.equal(handed, 10);
      assert.equal(dropped, sent - 10);
      assert.equal(droppedBytes, sent - 10);
    } finally {
      await listener.close();
      await sender.terminate();
    }
  });

  it("reports a bind failure and leaves no thread", { skip: noProcTasks }, async () => {
    const threadsBefore = threadCount();
    const taken = createSocket("udp4");
    await new Promise<void>((resolve) => taken.bind(0, "127.0.0.1", resolve));
    try {
      await assert.rejects(
        listenUdpThread(
          { host: "127.0.0.1", port: taken.address().port, receiveBufferBytes: 65_536 },
          { maxQueued: 1_024 },
          () => {},
          assert.fail,
          assert.fail,
        ),
        /EADDRINUSE/,
      );
    } finally {
      taken.close();
    }
    await threadsBackTo(threadsBefore);
  });

  it("turns N datagrams into exactly N stream messages and ends its threads on drain (real nats-server)", {
    skip: noProcTasks,
  }, async () => {
    const url = await testNatsUrl();
    const config = isolatedConfig(url, { udp: { receiveThread: true } });
    const app = createApp(config, { logDestination: quietLog });
    const nc = await connectTo(url);
    const threadsBefore = threadCount();
    try {
      await app.start();
      assert.ok(threadCount() >= threadsBefore + app.udp.size);
      const port = app.udp.get("device-frame")?.port ?? assert.fail("no device-frame listener");
      const report = await runSimulator({
        host: "127.0.0.1",
        port,
        format: "device-frame",
        count: 2_000,
        ratePerSec: 5_000,
        devices: 10,
        deviceIdPrefix: "threaded-",
      });
      assert.equal(report.sent, 2_000);
      await waitForStreamCount(nc, config.stream.name, 2_000);
      const registry = app.service.metrics.registry;
      assert.equal(await metricValue(registry, "langtian_collector_datagrams_received_total"), 2_000);
      assert.equal(await metricValue(registry, "langtian_collector_events_decoded_total"), 2_000);
    } finally {
      await app.stop();
      await nc.close();
    }
    const js = (await import("@nats-io/jetstream")).jetstreamManager;
    const check = await connectTo(url);
    try {
      const info = await (await js(check)).streams.info(config.stream.name);
      assert.equal(info.state.messages, 2_000);
    } finally {
      await check.close();
    }
    await threadsBackTo(threadsBefore);
  });
});
