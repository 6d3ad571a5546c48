import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { after, before, describe, it } from "node:test";
import { testNatsUrl, uniqueName, waitFor } from "@langtian/testing";
import type { NatsConnection } from "@nats-io/transport-node";
import { type CollectorApp, createApp } from "../src/app.ts";
import { DEVICE_FORMATS } from "../src/simulator/device-messages.ts";
import { runSimulator } from "../src/simulator/device-simulator.ts";
import {
  connectTo,
  isolatedConfig,
  metricValue,
  quietLog,
  streamMessageCount,
  waitForStreamCount,
} from "../src/testing/test-helpers.ts";

const FUZZ_PER_FORMAT = 1_500;

describe("bad input (real nats-server)", () => {
  let app: CollectorApp;
  let nc: NatsConnection;
  let config: ReturnType<typeof isolatedConfig>;
  let deadLetterSubject: string;

  before(async () => {
    const url = await testNatsUrl();
    deadLetterSubject = `${uniqueName("dead")}.collector`;
    config = isolatedConfig(url, {
      deadLetter: { subject: deadLetterSubject },
      udp: { maxDatagramBytes: 1_000 },
    });
    app = createApp(config, { logDestination: quietLog });
    await app.start();
    await app.service.listen();
    nc = await connectTo(url);
  });

  after(async () => {
    await app?.stop();
    await nc?.close();
  });

  it("counts thousands of fuzzed datagrams by reason, stays healthy and keeps accepting good traffic", async () => {
    const registry = app.service.metrics.registry;
    const deadLetters = nc.subscribe(deadLetterSubject);
    let deadLettered = 0;
    const reasons = new Set<string>();
    void (async () => {
      for await (const m of deadLetters) {
        deadLettered++;
        reasons.add(m.headers?.get("Langtian-Reason") ?? "");
      }
    })();
    await nc.flush();

    let garbageSent = 0;
    let goodSent = 0;
    for (const [i, format] of DEVICE_FORMATS.entries()) {
      const port = app.udp.get(format)?.port ?? assert.fail();
      const report = await runSimulator({
        host: "127.0.0.1",
        port,
        format,
        count: FUZZ_PER_FORMAT,
        ratePerSec: 6_000,
        garbageShare: 0.9,
        seed: 7 + i,
        deviceIdPrefix: `fuzz-${format}-`,
      });
      garbageSent += report.garbage;
      goodSent += report.good;
    }
    // Oversize datagrams are rejected before decoding.
    const socket = createSocket("udp4");
    const jsonPort = app.udp.get("json")?.port ?? assert.fail();
    await new Promise<void>((resolve, reject) =>
      socket.send(new Uint8Array(5_000), jsonPort, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
    );
    socket.close();

    const total = FUZZ_PER_FORMAT * DEVICE_FORMATS.length + 1;
    await waitFor(
      async () =>
        (await metricValue(registry, "langtian_collector_datagrams_received_total")) >= total
          ? true
          : undefined,
      {
        what: "every datagram read",
        timeoutMs: 60_000,
      },
    );
    const decoded = await metricValue(registry, "langtian_collector_events_decoded_total");
    const errors = await metricValue(registry, "langtian_collector_decode_errors_total");
    // Every datagram is accounted for: decoded or rejected with a reason.
    assert.equal(decoded + errors, total);
    // Raw accepts anything; a garbled byte in JSON can still be valid JSON. Everything else is an error.
    assert.ok(errors >= garbageSent * 0.5, `${errors} errors for ${garbageSent} garbage datagrams`);
    for (const reason of [
      "bad_crc",
      "truncated",
      "malformed_json",
      "malformed_protobuf",
      "oversize",
      "empty",
    ]) {
      assert.ok(
        (await metricValue(registry, "langtian_collector_decode_errors_total", { reason })) > 0,
        reason,
      );
    }
    await waitFor(async () => (deadLettered >= errors ? true : undefined), {
      what: "dead letters",
      timeoutMs: 30_000,
    });
    assert.ok(reasons.has("bad_crc") && reasons.has("oversize"));
    deadLetters.unsubscribe();
    await waitForStreamCount(nc, config.stream.name, decoded);
    assert.ok(decoded >= goodSent);

    const ready = await app.service.fastify.inject({ method: "GET", url: "/readyz" });
    assert.equal(ready.statusCode, 200, ready.body);
    // Good traffic after the storm still flows.
    const before = await streamMessageCount(nc, config.stream.name);
    await runSimulator({
      host: "127.0.0.1",
      port: jsonPort,
      format: "json",
      count: 100,
      deviceIdPrefix: "after-storm-",
    });
    await waitForStreamCount(nc, config.stream.name, before + 100);
  });
});
