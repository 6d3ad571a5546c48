import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "@langtian/service-kit";
import { testNatsUrl, waitFor } from "@langtian/testing";
import { createApp } from "../src/app.ts";
import { runSimulator } from "../src/simulator/device-simulator.ts";
import { parseSourceNetworks } from "../src/source-networks.ts";
import {
  connectTo,
  isolatedConfig,
  metricValue,
  quietLog,
  streamMessageCount,
  waitForStreamCount,
} from "../src/testing/test-helpers.ts";

const SENT = 50;

describe("udp.allowedSources", () => {
  it("parses networks and single addresses of both families, and lists every bad entry", () => {
    const networks = parseSourceNetworks(["10.20.0.0/16", "192.168.1.7", "fd00::/8"]);
    assert.equal(networks.any, false);
    assert.deepEqual(
      [
        "10.20.255.1",
        "10.21.0.1",
        "192.168.1.7",
        "192.168.1.8",
        "fd12::1",
        "::1",
        "::ffff:10.20.0.9",
        "nonsense",
      ].map((a) => networks.allows(a)),
      [true, false, true, false, true, false, true, false],
    );
    assert.equal(parseSourceNetworks([]).any, true);
    assert.throws(
      () => parseSourceNetworks(["10.0.0.0/33", "host.example", "1.2.3.4/8/9", "::/0"]),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.issues.map((i) => i.path).join() ===
          "udp.allowedSources[0],udp.allowedSources[1],udp.allowedSources[2]",
    );
  });

  for (const receiveThread of [true, false]) {
    it(`accepts datagrams from an allowed network and drops and counts the others (receive thread ${receiveThread ? "on" : "off"}; real nats-server)`, async () => {
      const url = await testNatsUrl();
      const nc = await connectTo(url);
      const listeners = [
        "udp://127.0.0.1:0?decoder=json&event_type=device.telemetry&source_system=site&name=json",
      ];
      const allowed = isolatedConfig(url, {
        udp: { listeners, receiveThread, allowedSources: ["127.0.0.1/32"] },
      });
      const denied = isolatedConfig(url, {
        udp: { listeners, receiveThread, allowedSources: ["10.0.0.0/8", "::1"] },
      });
      const apps = [
        createApp(allowed, { logDestination: quietLog }),
        createApp(denied, { logDestination: quietLog }),
      ];
      try {
        for (const app of apps) {
          await app.start();
          const port = app.udp.get("json")?.port ?? assert.fail("no json listener");
          await runSimulator({
            host: "127.0.0.1",
            port,
            format: "json",
            count: SENT,
            deviceIdPrefix: "src-",
          });
        }
        const [open, closed] = apps as [(typeof apps)[0], (typeof apps)[0]];
        await waitForStreamCount(nc, allowed.stream.name, SENT);
        const registry = closed.service.metrics.registry;
        await waitFor(
          async () =>
            (await metricValue(registry, "langtian_collector_datagrams_received_total")) >= SENT
              ? true
              : undefined,
          { what: "every datagram read by the closed collector", timeoutMs: 30_000 },
        );
        assert.equal(
          await metricValue(registry, "langtian_collector_decode_errors_total", {
            reason: "source_not_allowed",
          }),
          SENT,
        );
        assert.equal(await metricValue(registry, "langtian_collector_events_decoded_total"), 0);
        assert.equal(await streamMessageCount(nc, denied.stream.name), 0);
        assert.equal(
          await metricValue(open.service.metrics.registry, "langtian_collector_decode_errors_total"),
          0,
        );
      } finally {
        for (const app of apps) await app.stop();
        await nc.close();
      }
    });
  }
});
