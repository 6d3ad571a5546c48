import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { TelemetrySchema } from "@langtian/proto";
import { testNatsUrl, waitFor } from "@langtian/testing";
import type { NatsConnection } from "@nats-io/transport-node";
import { type CollectorApp, createApp } from "../src/app.ts";
import { DEVICE_FORMATS } from "../src/simulator/device-messages.ts";
import { runSimulator } from "../src/simulator/device-simulator.ts";
import {
  connectTo,
  isolatedConfig,
  metricValue,
  quietLog,
  readStream,
  streamMessageCount,
  waitForStreamCount,
} from "../src/testing/test-helpers.ts";

const PER_FORMAT = 200;

describe("UDP datagrams into JetStream (real nats-server)", () => {
  let app: CollectorApp;
  let nc: NatsConnection;
  let config: ReturnType<typeof isolatedConfig>;

  before(async () => {
    const url = await testNatsUrl();
    config = isolatedConfig(url);
    app = createApp(config, { logDestination: quietLog });
    await app.start();
    nc = await connectTo(url);
  });

  after(async () => {
    await app?.stop();
    await nc?.close();
  });

  const port = (format: string) => app.udp.get(format)?.port ?? assert.fail(`no listener ${format}`);

  it("turns N datagrams of each format into exactly N stream messages with correct envelopes", async () => {
    for (const format of DEVICE_FORMATS) {
      const report = await runSimulator({
        host: "127.0.0.1",
        port: port(format),
        format,
        count: PER_FORMAT,
        ratePerSec: 4_000,
        devices: 5,
        deviceIdPrefix: `${format}-`,
      });
      assert.equal(report.sent, PER_FORMAT);
    }
    const total = PER_FORMAT * DEVICE_FORMATS.length;
    await waitForStreamCount(nc, config.stream.name, total);
    const messages = await readStream(nc, config.stream.name);
    assert.equal(messages.length, total);
    const byPayloadType = Map.groupBy(messages, (m) => m.envelope.payloadType);
    assert.equal(byPayloadType.get("application/json")?.length, PER_FORMAT * 2); // json + envelope devices
    assert.equal(byPayloadType.get("application/octet-stream")?.length, PER_FORMAT);
    const frames = byPayloadType.get("langtian.device.v1.Telemetry") ?? [];
    assert.equal(frames.length, PER_FORMAT);
    for (const { subject, envelope } of messages) {
      assert.match(
        envelope.eventId,
        /^[0-9a-f]{8}-[0-9a-f]{4}-[57][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      assert.equal(subject, `${config.stream.subjectPrefix}.${envelope.eventType}`);
      assert.ok(envelope.eventTimestamp && envelope.receivedTimestamp);
      assert.equal(envelope.schemaVersion, "1.0");
    }
    // The device frame's sequence and device id drive id, key and payload.
    const frame = frames[0]?.envelope ?? assert.fail();
    const telemetry = fromBinary(TelemetrySchema, frame.payload);
    assert.equal(frame.partitionKey, telemetry.deviceId);
    assert.equal(frame.sourceSystem, "test-site");
    assert.ok(
      timestampMs(frame.eventTimestamp ?? assert.fail()) <=
        timestampMs(frame.receivedTimestamp ?? assert.fail()),
    );
    // The smart device's own envelope fields are kept.
    const fromEnvelopeDevice = messages.filter((m) => m.envelope.eventType === "device.status");
    assert.equal(fromEnvelopeDevice.length, PER_FORMAT);
  });

  it("deduplicates device retransmits by their deterministic event id", async () => {
    const before = await streamMessageCount(nc, config.stream.name);
    const report = await runSimulator({
      host: "127.0.0.1",
      port: port("device-frame"),
      format: "device-frame",
      count: 300,
      ratePerSec: 4_000,
      devices: 3,
      deviceIdPrefix: "retransmitter-",
      retransmitShare: 0.5,
    });
    assert.ok(report.retransmits > 50);
    // Resending the whole run again is a retransmit of every message.
    await runSimulator({
      host: "127.0.0.1",
      port: port("device-frame"),
      format: "device-frame",
      count: 300,
      ratePerSec: 4_000,
      devices: 3,
      deviceIdPrefix: "retransmitter-",
      retransmitShare: 0.5,
    });
    const registry = app.service.metrics.registry;
    await waitFor(
      async () =>
        (await metricValue(registry, "langtian_collector_duplicates_total")) >=
        report.retransmits * 2 + report.distinctGood
          ? true
          : undefined,
      { what: "every retransmit acknowledged as a duplicate", timeoutMs: 60_000 },
    );
    assert.equal(await streamMessageCount(nc, config.stream.name), before + report.distinctGood);
  });
});
