import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type NatsServer, startNats, startNatsCluster, waitFor } from "@langtian/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type CollectorApp, createApp } from "../src/app.ts";
import { readKernelUdpStats } from "../src/kernel-udp-stats.ts";
import { runSimulator } from "../src/simulator/device-simulator.ts";
import {
  connectTo,
  isolatedConfig,
  metricValue,
  quietLog,
  readStream,
  waitForStreamCount,
} from "../src/testing/test-helpers.ts";

/**
 * Per-device order through NATS outages, end to end: simulated devices send numbered
 * datagrams at a steady rate while NATS goes away (the whole server, or the stream leader of
 * a 3-node R3 cluster) and comes back; the stream is then read back in stream order and each
 * device's sequence numbers must rise strictly, with none missing and none stored twice.
 */

const DEVICES = 8;
const RATE_PER_SEC = 800;
const COUNT = 9_600;

/** Sequence numbers per device, in stream order. */
function sequencesByDevice(messages: { envelope: { payload: Uint8Array } }[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const text = new TextDecoder();
  for (const m of messages) {
    const body = JSON.parse(text.decode(m.envelope.payload)) as { device_id: string; seq: number };
    const list = out.get(body.device_id) ?? [];
    list.push(body.seq);
    out.set(body.device_id, list);
  }
  return out;
}

/** Adjacent pairs (per device) whose sequence does not rise: 0 when order held. */
function outOfOrder(byDevice: Map<string, number[]>): number {
  let count = 0;
  for (const seqs of byDevice.values()) {
    let previous = Number.NEGATIVE_INFINITY;
    for (const seq of seqs) {
      if (seq <= previous) count++;
      previous = seq;
    }
  }
  return count;
}

/**
 * Sends at a steady rate, runs `outage` a third of the way in, waits until everything is in
 * the stream, and checks every device's order and completeness.
 */
async function checkOrderThrough(
  natsUrl: string,
  overrides: Record<string, unknown>,
  /**
   * Breaks NATS. Resolves to how the collector was seen to move off the lost node when that, not
   * spooling, is the outage's proof (a client that fails over fast may spool nothing).
   */
  outage: (app: CollectorApp, streamName: string) => Promise<string | undefined>,
  t: { diagnostic(message: string): void },
): Promise<void> {
  const config = isolatedConfig(natsUrl, overrides);
  const app = createApp(config, { logDestination: quietLog });
  let nc: NatsConnection | undefined;
  try {
    await app.start();
    await app.service.listen();
    const registry = app.service.metrics.registry;
    const received = () => metricValue(registry, "langtian_collector_datagrams_received_total");
    const port = app.udp.get("json")?.port ?? assert.fail("no json listener");
    const kernelDropsBefore = readKernelUdpStats()?.rcvbufErrors ?? 0;
    const sending = runSimulator({
      host: "127.0.0.1",
      port,
      format: "json",
      count: COUNT,
      ratePerSec: RATE_PER_SEC,
      devices: DEVICES,
      startSequence: 0,
    });
    await waitFor(async () => ((await received()) >= COUNT / 3 ? true : undefined), {
      what: "a third sent",
      timeoutMs: 60_000,
    });
    const failedOver = await outage(app, config.stream.name);
    // How long after NATS' return the spool (the diverted in-doubt events first) was replayed.
    const backAt = Date.now();
    await waitFor(async () => (app.spool.depth === 0 ? true : undefined), {
      what: "spool replayed after the outage",
      timeoutMs: 60_000,
    });
    t.diagnostic(`spool replayed ${Date.now() - backAt} ms after NATS was back`);
    const report = await sending;
    await waitFor(
      async () => {
        const kernelDrops = (readKernelUdpStats()?.rcvbufErrors ?? 0) - kernelDropsBefore;
        return (await received()) + kernelDrops >= report.sent ? true : undefined;
      },
      { what: "every datagram read", timeoutMs: 60_000 },
    );
    const decoded = await metricValue(registry, "langtian_collector_events_decoded_total");
    assert.equal(await metricValue(registry, "langtian_collector_rejected_total"), 0, "nothing refused");
    nc = await connectTo(natsUrl);
    await waitForStreamCount(nc, config.stream.name, decoded, 120_000);
    await waitFor(async () => (app.spool.depth === 0 ? true : undefined), {
      what: "spool replayed",
      timeoutMs: 60_000,
    });
    const messages = await readStream(nc, config.stream.name);
    const byDevice = sequencesByDevice(messages);
    const disordered = outOfOrder(byDevice);
    const spooled = await metricValue(registry, "langtian_collector_spooled_total");
    const inDoubt = await metricValue(registry, "langtian_collector_spooled_total", { reason: "in_doubt" });
    const duplicates = await metricValue(registry, "langtian_collector_duplicates_total");
    t.diagnostic(
      `devices ${byDevice.size}, events ${messages.length} (decoded ${decoded}, sent ${report.sent}), ` +
        `spooled ${spooled} (in doubt ${inDoubt}), replay duplicates ${duplicates}, out of order ${disordered}`,
    );
    assert.ok(
      spooled > 0 || failedOver !== undefined,
      "the outage made the collector spool or move to another node (otherwise this proves nothing)",
    );
    if (failedOver !== undefined) t.diagnostic(failedOver);
    assert.equal(messages.length, decoded, "one stream message per accepted event");
    assert.equal(new Set(messages.map((m) => m.envelope.eventId)).size, decoded, "no event stored twice");
    assert.equal(disordered, 0, "every device's sequence rises in stream order");
    assert.equal(byDevice.size, DEVICES);
    // Every datagram the collector read is in the stream; with no kernel drop, that is all of them.
    const kernelDrops = (readKernelUdpStats()?.rcvbufErrors ?? 0) - kernelDropsBefore;
    if (kernelDrops === 0) {
      for (const [device, seqs] of byDevice) {
        assert.deepEqual(
          seqs,
          Array.from({ length: COUNT / DEVICES }, (_, i) => i),
          `device ${device}: complete and in order`,
        );
      }
    }
  } finally {
    await nc?.close();
    await app.stop();
  }
}

/** The client URL of the node the collector is connected to, from its health report. */
async function connectedNode(app: CollectorApp): Promise<string> {
  const report = await app.service.healthReport();
  const detail = report.dependencies.find((d) => d.name === "nats")?.detail ?? "";
  return /connected to (\S+)/.exec(detail)?.[1] ?? assert.fail(`not connected: ${detail}`);
}

/** Kills (SIGKILL) one node for a few seconds, then starts it again. */
async function loseNode(node: NatsServer, t: { diagnostic(message: string): void }, why: string) {
  t.diagnostic(`killing ${node.serverName} (${why})`);
  await node.kill();
  await sleep(4_000);
  await node.start();
}

describe("per-device order through NATS outages", () => {
  it("holds through a full NATS outage (the only server killed, then started again)", async (t) => {
    const server: NatsServer = await startNats();
    try {
      await checkOrderThrough(
        server.url,
        {},
        async () => {
          await loseNode(server, t, "the only server");
          return undefined;
        },
        t,
      );
    } finally {
      await server.stop();
    }
  });

  it("holds through the loss of the node the collector is connected to (3-node R3 cluster)", async (t) => {
    const cluster = await startNatsCluster();
    try {
      await checkOrderThrough(
        cluster.urls.join(","),
        { stream: { replicas: 3 } },
        async (app) => {
          const url = await connectedNode(app);
          const node = cluster.servers.find((s) => url.endsWith(`:${s.port}`)) ?? assert.fail(url);
          await loseNode(node, t, "the collector's node");
          const now = await connectedNode(app).catch(() => url);
          return now === url ? undefined : `the collector failed over from ${url} to ${now}`;
        },
        t,
      );
    } finally {
      await cluster.stop();
    }
  });

  it("holds through the loss of the stream leader (3-node R3 cluster)", async (t) => {
    const cluster = await startNatsCluster();
    try {
      const url = cluster.urls.join(",");
      await checkOrderThrough(
        url,
        { stream: { replicas: 3 } },
        async (_app, streamName) => {
          const nc = await connectTo(url);
          let leader: string | undefined;
          try {
            const info = await (await jetstreamManager(nc)).streams.info(streamName);
            leader = info.cluster?.leader;
          } finally {
            await nc.close();
          }
          const node =
            cluster.servers.find((s) => s.serverName === leader) ?? assert.fail(`leader ${leader}`);
          await loseNode(node, t, "the stream leader");
          return undefined;
        },
        t,
      );
    } finally {
      await cluster.stop();
    }
  });
});
