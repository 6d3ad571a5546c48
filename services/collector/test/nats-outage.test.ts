import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type NatsServer, startNats, waitFor } from "@langtian/testing";
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

const COUNT = 3_000;

describe("NATS outage (dedicated nats-server)", () => {
  let server: NatsServer;
  let app: CollectorApp;
  let config: ReturnType<typeof isolatedConfig>;

  before(async () => {
    server = await startNats();
    config = isolatedConfig(server.url);
    app = createApp(config, { logDestination: quietLog });
    await app.start();
    await app.service.listen();
  });

  after(async () => {
    await app?.stop();
    await server?.stop();
  });

  it("delivers every accepted event exactly once when NATS stops mid-stream and comes back", async () => {
    const registry = app.service.metrics.registry;
    const received = () => metricValue(registry, "langtian_collector_datagrams_received_total");
    const port = app.udp.get("json")?.port ?? assert.fail();
    const kernelDropsBefore = readKernelUdpStats()?.rcvbufErrors ?? 0;
    const sending = runSimulator({
      host: "127.0.0.1",
      port,
      format: "json",
      count: COUNT,
      ratePerSec: 1_500,
      devices: 20,
    });

    await waitFor(async () => ((await received()) >= COUNT / 3 ? true : undefined), {
      what: "a third sent",
      timeoutMs: 60_000,
    });
    await server.stop();
    await waitFor(async () => ((await received()) >= (COUNT * 2) / 3 ? true : undefined), {
      what: "two thirds sent",
      timeoutMs: 60_000,
    });
    // While NATS is away the collector stays ready (accepting into the spool is progress) and
    // reports NATS as a degraded dependency.
    const during = await app.service.fastify.inject({ method: "GET", url: "/readyz" });
    assert.equal(during.statusCode, 200);
    const nats = (
      during.json() as { dependencies: { name: string; healthy: boolean; detail: string }[] }
    ).dependencies.find((dep) => dep.name === "nats");
    assert.equal(nats?.healthy, false);
    assert.match(nats?.detail ?? "", /^degraded since .*events go to the spool/);
    assert.ok((await metricValue(registry, "langtian_collector_spooled_total")) > 0);
    await server.start();
    const report = await sending;
    // Wait until every datagram is read (or was dropped by the kernel, which /proc/net/snmp counts).
    await waitFor(
      async () => {
        const kernelDrops = (readKernelUdpStats()?.rcvbufErrors ?? 0) - kernelDropsBefore;
        return (await received()) + kernelDrops >= report.sent ? true : undefined;
      },
      { what: "every datagram read", timeoutMs: 60_000 },
    );

    const decoded = await metricValue(registry, "langtian_collector_events_decoded_total");
    assert.equal(await metricValue(registry, "langtian_collector_rejected_total"), 0);
    assert.ok(decoded > 0 && decoded <= report.sent);
    const nc: NatsConnection = await connectTo(server.url);
    try {
      await waitForStreamCount(nc, config.stream.name, decoded, 120_000);
      await waitFor(async () => (app.spool.depth === 0 ? true : undefined), {
        what: "spool replayed",
        timeoutMs: 60_000,
      });
      const messages = await readStream(nc, config.stream.name);
      const ids = new Set(messages.map((m) => m.envelope.eventId));
      assert.equal(messages.length, decoded, "one stream message per accepted event");
      assert.equal(ids.size, decoded, "no event stored twice");
    } finally {
      await nc.close();
    }
  });
});

describe("NATS down at startup (dedicated nats-server)", () => {
  let server: NatsServer;
  let app: CollectorApp | undefined;

  before(async () => {
    server = await startNats();
    await server.stop();
  });

  after(async () => {
    await app?.stop();
    await server?.stop();
  });

  it("starts anyway, spools what it accepts, and delivers it once NATS and the stream are up", async () => {
    const config = isolatedConfig(server.url, {
      nats: { url: server.url, ackTimeoutMs: 2_000, startupWaitMs: 200 },
    });
    app = createApp(config, { logDestination: quietLog });
    await app.start();
    await app.service.listen();
    // Ready at once: it accepts into the spool; NATS is reported degraded.
    const ready = await app.service.fastify.inject({ method: "GET", url: "/readyz" });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(
      (ready.json() as { dependencies: { name: string; healthy: boolean }[] }).dependencies.map((dep) => [
        dep.name,
        dep.healthy,
      ]),
      [
        ["nats", false],
        ["spool", true],
      ],
    );
    const port = app.udp.get("device-frame")?.port ?? assert.fail();
    const report = await runSimulator({
      host: "127.0.0.1",
      port,
      format: "device-frame",
      count: 300,
      ratePerSec: 2_000,
    });
    const spool = app.spool;
    await waitFor(async () => (spool.depth === report.sent ? true : undefined), {
      what: "all in the spool",
      timeoutMs: 30_000,
    });

    await server.start();
    const nc = await connectTo(server.url);
    try {
      await waitForStreamCount(nc, config.stream.name, report.sent, 120_000);
      const messages = await readStream(nc, config.stream.name);
      assert.equal(new Set(messages.map((m) => m.envelope.eventId)).size, report.sent);
      await waitFor(
        async () => {
          const res = await app?.service.fastify.inject({ method: "GET", url: "/readyz" });
          if (res?.statusCode !== 200) return undefined;
          const deps = (res.json() as { dependencies: { name: string; healthy: boolean }[] }).dependencies;
          return deps.every((dep) => dep.healthy) ? true : undefined;
        },
        { what: "ready with NATS healthy once NATS is up", timeoutMs: 30_000 },
      );
    } finally {
      await nc.close();
    }
  });
});
