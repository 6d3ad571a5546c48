import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createEnvelope, decodeEnvelope, EventHeader, eventHeaderEntries, uuidv7 } from "@langtian/envelope";
import { testNatsUrl, uniqueName, waitFor } from "@langtian/testing";
import {
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { createDatagramHandler } from "../src/datagram-handler.ts";
import { createJsonDecoder } from "../src/decoders/json-decoder.ts";
import { Delivery } from "../src/delivery.ts";
import { createCollectorMetrics, type MetricFactory } from "../src/metrics.ts";
import { encodeOutboundEvent } from "../src/outbound-event.ts";
import { createJetStreamTarget, createSwitchableTarget, type PublishTarget } from "../src/publish-target.ts";
import { ingestBatch } from "../src/push-ingest.ts";
import { Spool } from "../src/spool.ts";

const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const utf8 = new TextEncoder();

function testMetrics() {
  const registry = new Registry();
  const factory: MetricFactory = {
    counter: (o) => new Counter({ ...o, registers: [registry] }),
    gauge: (o) => new Gauge({ ...o, registers: [registry] }),
    histogram: (o) => new Histogram({ ...o, registers: [registry] }),
  };
  return createCollectorMetrics(factory);
}

const METADATA_NAMES = new Set<string>(Object.values(EventHeader));

/**
 * Checks one stream message: `Nats-Msg-Id` (the event id; a pushed event's is scoped by its
 * source system) and exactly the metadata headers of its envelope.
 */
function assertCarriesMetadata(m: JsMsg, pushed = false): void {
  const envelope = decodeEnvelope(m.data);
  const expected = eventHeaderEntries(envelope) ?? assert.fail("the envelope's values fit in headers");
  const h = m.headers ?? assert.fail(`no headers on ${envelope.eventId}`);
  const msgId = pushed ? `${envelope.sourceSystem}/${envelope.eventId}` : envelope.eventId;
  assert.equal(h.get("Nats-Msg-Id"), msgId);
  const metadata = h.keys().filter((name) => METADATA_NAMES.has(name));
  assert.deepEqual(new Map(metadata.map((name) => [name, h.get(name)])), new Map(expected));
}

describe("collector publishes the event metadata as NATS headers (real nats-server)", () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const streams: string[] = [];
  const dirs: string[] = [];

  before(async () => {
    nc = await connect({ servers: await testNatsUrl() });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  });

  after(async () => {
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await nc?.close();
  });

  async function freshStream(): Promise<{ stream: string; subjectPrefix: string }> {
    const stream = uniqueName("hdr");
    const subjectPrefix = `c.${stream}`;
    await jsm.streams.add({ name: stream, subjects: [`${subjectPrefix}.>`] });
    streams.push(stream);
    return { stream, subjectPrefix };
  }

  function openSpool(dir: string): Spool {
    return Spool.open({
      dir,
      maxBytes: 1 << 24,
      segmentBytes: 1 << 16,
      fsync: "never",
      fsyncIntervalMs: 100,
      overflow: "reject-new",
    });
  }

  function pipeline(target: PublishTarget, spool: Spool, subjectPrefix: string) {
    const metrics = testMetrics();
    const delivery = new Delivery(target, spool, metrics, {
      maxInFlight: 100,
      stallMs: 60_000,
      replayBatch: 10,
      replayRetryMs: 20,
    });
    const handle = createDatagramHandler({
      listener: "json",
      decoder: createJsonDecoder(),
      defaults: { eventType: "device.telemetry", sourceSystem: "plant-ä/line-3", schemaVersion: "1.0" },
      subjectPrefix,
      maxDatagramBytes: 65_536,
      maxEnvelopeBytes: 1 << 20,
      delivery,
      metrics,
    });
    const push = (events: Parameters<typeof ingestBatch>[0]) =>
      ingestBatch(events, delivery, metrics, { subjectPrefix, maxEventBytes: 1 << 20 });
    return { delivery, handle, push };
  }

  /** Datagrams (with and without a device id) and a pushed, traced event. */
  async function sendEvents(
    handle: (d: Uint8Array, at: number) => void,
    push: ReturnType<typeof pipeline>["push"],
  ) {
    handle(utf8.encode(JSON.stringify({ device_id: "dev-1", seq: 1, temp: 20 })), Date.now());
    handle(utf8.encode(JSON.stringify({ temp: 21 })), Date.now());
    handle(
      utf8.encode(JSON.stringify({ device_id: "dev 2: north", type: "device.alarm", seq: 7 })),
      Date.now(),
    );
    const pushed = createEnvelope({
      eventId: uuidv7(),
      eventType: "device.telemetry",
      schemaVersion: "1.0",
      sourceSystem: "plant b/línea 3",
      partitionKey: "dev-3",
      payloadType: "application/json",
      payload: utf8.encode("{}"),
      traceContext: { traceparent, tracestate: "v=1" },
    });
    const response = await push([pushed]);
    assert.equal(response.acceptedCount, 1, JSON.stringify(response.errors));
  }

  async function streamMessages(stream: string, count: number): Promise<JsMsg[]> {
    const consumer = await js.consumers.get(stream);
    const out: JsMsg[] = [];
    while (out.length < count) {
      const m = await consumer.next({ expires: 5_000 });
      if (m === null) assert.fail(`only ${out.length} of ${count} messages in ${stream}`);
      out.push(m);
    }
    return out;
  }

  it("publishes every event, datagram or pushed, with Nats-Msg-Id and its metadata headers", async () => {
    const { stream, subjectPrefix } = await freshStream();
    const dir = mkdtempSync(join(tmpdir(), "collector-headers-"));
    dirs.push(dir);
    const spool = openSpool(dir);
    const target = createJetStreamTarget(nc, 5_000);
    const { delivery, handle, push } = pipeline(target, spool, subjectPrefix);
    try {
      await sendEvents(handle, push);
      const messages = await streamMessages(stream, 4);
      for (const [i, m] of messages.entries()) assertCarriesMetadata(m, i === 3);
      const keys = messages.map((m) => m.headers?.get(EventHeader.partitionKey));
      assert.deepEqual(keys, ["dev-1", "", "dev 2: north", "dev-3"], "no key header for a keyless event");
      assert.equal(messages[3]?.headers?.get(EventHeader.traceparent), traceparent);
      assert.equal(messages[1]?.headers?.has(EventHeader.partitionKey), false);
    } finally {
      await delivery.close();
      target.close?.();
      spool.close();
    }
  });

  it("keeps the headers through the spool on disk and its replay after a restart", async () => {
    const { stream, subjectPrefix } = await freshStream();
    const dir = mkdtempSync(join(tmpdir(), "collector-headers-spool-"));
    dirs.push(dir);

    // NATS not reachable yet: everything goes to the spool.
    const spool = openSpool(dir);
    const offline = createSwitchableTarget();
    const first = pipeline(offline, spool, subjectPrefix);
    await sendEvents(first.handle, first.push);
    // A record an older collector spooled (no header lines) replays as it did: Nats-Msg-Id only.
    const oldId = uuidv7();
    const oldData = utf8.encode("an older collector's envelope");
    await waitFor(async () => (spool.depth >= 4 ? true : undefined), {
      what: "4 events spooled",
      timeoutMs: 10_000,
    });
    spool.append(
      encodeOutboundEvent({ subject: `${subjectPrefix}.old`, msgId: oldId, data: oldData, receivedAtMs: 1 }),
    );
    await first.delivery.close();
    spool.close();

    // Restarted with NATS back: the spool replays from disk.
    const reopened = openSpool(dir);
    assert.equal(reopened.depth, 5);
    const target = createJetStreamTarget(nc, 5_000);
    const second = pipeline(target, reopened, subjectPrefix);
    try {
      const messages = await streamMessages(stream, 5);
      for (const [i, m] of messages.slice(0, 4).entries()) assertCarriesMetadata(m, i === 3);
      const old = messages[4] ?? assert.fail();
      assert.deepEqual(old.headers?.keys(), ["Nats-Msg-Id"]);
      assert.equal(old.headers?.get("Nats-Msg-Id"), oldId);
      await waitFor(async () => (reopened.depth === 0 ? true : undefined), {
        what: "spool empty",
        timeoutMs: 10_000,
      });
    } finally {
      await second.delivery.close();
      target.close?.();
      reopened.close();
    }
  });
});
