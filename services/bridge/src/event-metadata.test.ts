import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEnvelope, EventHeader, encodeEnvelope, eventHeaderEntries, uuidv7 } from "@langtian/envelope";
import type { Envelope } from "@langtian/proto";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { DecodeCause, metadataFromEnvelope, metadataFromHeaders } from "./event-metadata.ts";
import { BridgeHeaders, createTopicRouter } from "./mapping.ts";
import { createBridgeMetrics } from "./metrics.ts";
import { createPipeline } from "./pipeline.ts";
import type { OutboundRecord } from "./pipeline-ports.ts";
import { controlledSink, type FakeMessage, fakeMessage, settle } from "./testing/fakes.ts";

const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

/** Envelopes covering every optional field the headers carry (or leave out). */
function envelopes(): Envelope[] {
  const base = {
    eventType: "device.telemetry",
    eventTime: new Date(Date.UTC(2026, 11, 2, 9, 30, 1, 7)),
    schemaVersion: "1.0",
    payloadType: "application/octet-stream",
    payload: new Uint8Array([1, 2, 3]),
  };
  return [
    createEnvelope({ ...base, eventId: uuidv7(), sourceSystem: "plant-a/line-3", partitionKey: "dev-7" }),
    createEnvelope({ ...base, eventId: uuidv7(), sourceSystem: "plant-ä/línea-3" }),
    createEnvelope({
      ...base,
      eventId: uuidv7(),
      sourceSystem: "plant-b",
      partitionKey: "dev 8: north",
      traceContext: { traceparent, tracestate: "vendor=abc,other=1" },
      attributes: { site: "north" },
    }),
  ];
}

/** A message as the collector publishes it: `Nats-Msg-Id` and the event headers. */
function withHeaders(envelope: Envelope, data = encodeEnvelope(envelope), seq = 1): FakeMessage {
  const headers: Record<string, string> = { [BridgeHeaders.natsMsgId]: envelope.eventId };
  for (const [name, value] of eventHeaderEntries(envelope) ?? assert.fail("headers expected")) {
    headers[name] = value;
  }
  return fakeMessage(data, { seq, headers });
}

/** A message as an older collector published it: `Nats-Msg-Id` only. */
function withoutHeaders(envelope: Envelope, seq = 1): FakeMessage {
  return fakeMessage(encodeEnvelope(envelope), {
    seq,
    headers: { [BridgeHeaders.natsMsgId]: envelope.eventId },
  });
}

function setup() {
  const sink = controlledSink();
  const registry = new Registry();
  const metrics = createBridgeMetrics({
    counter: (o) => new Counter({ ...o, registers: [registry] }),
    gauge: (o) => new Gauge({ ...o, registers: [registry] }),
    histogram: (o) => new Histogram({ ...o, registers: [registry] }),
  });
  const pipeline = createPipeline({
    sink,
    router: createTopicRouter([], "events"),
    deadLetterTopic: "bridge-dlq",
    maxBatchRecords: 1,
    maxBatchBytes: 1_000_000,
    maxRecordBytes: 10_000,
    maxInFlight: 1000,
    poisonMaxDeliveries: 2,
    backoff: { initialMs: 100, maxMs: 5000, jitter: 0 },
    workingIntervalMs: 60_000,
    produceTimeoutMs: 60_000,
    ordered: false,
    metrics,
  });
  const decoded = async (reason: string) => {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === "decoded_total");
    return m?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
  };
  /** Pushes one message and returns the record written for it (the write then succeeds). */
  const recordFor = async (msg: FakeMessage): Promise<OutboundRecord> => {
    const before = sink.batches.length;
    pipeline.push(msg);
    assert.equal(sink.batches.length, before + 1, "one record written");
    sink.succeed();
    await settle();
    return sink.batches[before]?.[0] ?? assert.fail("no record");
  };
  return { sink, pipeline, decoded, recordFor };
}

describe("event metadata from NATS headers", () => {
  it("equals the metadata of the decoded envelope, trace context aside (NATS headers carry it)", () => {
    for (const envelope of envelopes()) {
      const fromHeaders = metadataFromHeaders(withHeaders(envelope));
      assert.ok(fromHeaders.ok);
      const fromEnvelope = metadataFromEnvelope(envelope);
      assert.deepEqual(
        { ...fromHeaders.metadata, traceparent: undefined, tracestate: undefined },
        { ...fromEnvelope, traceparent: undefined, tracestate: undefined },
      );
    }
  });

  it("is absent without langtian-event-id, malformed when the rest is missing, empty or unreadable", () => {
    const [envelope] = envelopes();
    if (envelope === undefined) assert.fail();
    const headersOf = (change: Record<string, string | undefined>) => {
      const msg = withHeaders(envelope);
      return { header: (name: string) => (name in change ? change[name] : msg.header(name)) };
    };
    assert.deepEqual(metadataFromHeaders(fakeMessage(new Uint8Array())), {
      ok: false,
      cause: DecodeCause.noHeaders,
      detail: "",
    });
    for (const [change, detail] of [
      [{ [EventHeader.eventTimestamp]: "2026-12-02 09:30:01" }, /is not YYYY-MM-DDTHH:MM:SS.mmmZ/],
      [{ [EventHeader.eventTimestamp]: "2026-02-30T09:30:01.000Z" }, /is not YYYY-MM-DDTHH:MM:SS.mmmZ/],
      [{ [EventHeader.eventType]: undefined }, /missing or empty: langtian-event-type$/],
      [{ [EventHeader.sourceSystem]: "" }, /missing or empty: langtian-source-system$/],
      [{ [EventHeader.eventId]: "" }, /missing or empty: langtian-event-id$/],
      [{ [EventHeader.partitionKey]: "" }, /langtian-partition-key is empty/],
    ] as const) {
      const result = metadataFromHeaders(headersOf(change));
      assert.equal(result.ok, false, JSON.stringify(change));
      if (!result.ok) {
        assert.equal(result.cause, DecodeCause.malformedHeaders);
        assert.match(result.detail, detail);
      }
    }
  });
});

describe("pipeline on event headers", () => {
  it("writes the same record from the headers as from the decoded envelope, and decodes only without them", async () => {
    const { pipeline, decoded, recordFor } = setup();
    const list = envelopes();
    for (const [i, envelope] of list.entries()) {
      const fromHeaders = await recordFor(withHeaders(envelope, undefined, i + 1));
      const fromEnvelope = await recordFor(withoutHeaders(envelope, i + 1));
      assert.deepEqual(fromHeaders.value, fromEnvelope.value);
      assert.deepEqual(
        { ...fromHeaders, headers: [...fromHeaders.headers] },
        { ...fromEnvelope, headers: [...fromEnvelope.headers] },
      );
      assert.equal(fromHeaders.key, envelope.partitionKey ?? envelope.sourceSystem);
    }
    assert.equal(await decoded(DecodeCause.noHeaders), list.length, "only the header-less copies");
    assert.equal(await decoded(DecodeCause.malformedHeaders), 0);
    pipeline.close();
  });

  it("passes the bytes through untouched without decoding them when the headers are there", async () => {
    const { pipeline, decoded, recordFor } = setup();
    const [envelope] = envelopes();
    if (envelope === undefined) assert.fail();
    // Not an envelope at all: only a path that never decodes can write it.
    const opaque = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    const msg = withHeaders(envelope, opaque);
    const record = await recordFor(msg);
    assert.equal(record.value, opaque, "the very bytes of the message");
    assert.equal(record.key, "dev-7");
    assert.deepEqual(msg.outcomes, [{ kind: "ack" }]);
    assert.equal(await decoded(DecodeCause.noHeaders), 0);
    pipeline.close();
  });

  it("decodes a message whose headers are malformed, and treats it as poison when it does not decode", async () => {
    const { sink, pipeline, decoded, recordFor } = setup();
    const [envelope] = envelopes();
    if (envelope === undefined) assert.fail();
    const badTime = (data?: Uint8Array, deliveryCount = 1) => {
      const good = withHeaders(envelope, data);
      return fakeMessage(good.data, {
        deliveryCount,
        headers: {
          [BridgeHeaders.natsMsgId]: envelope.eventId,
          [EventHeader.eventId]: envelope.eventId,
          [EventHeader.eventType]: "device.telemetry",
          [EventHeader.eventTimestamp]: "not a time",
          [EventHeader.schemaVersion]: "1.0",
          [EventHeader.sourceSystem]: "somewhere-else",
          [EventHeader.partitionKey]: "wrong-key",
          [EventHeader.payloadType]: "application/octet-stream",
        },
      });
    };
    // Decodable: keyed and labelled from the envelope, never from the broken set.
    const record = await recordFor(badTime());
    const reference = await recordFor(withoutHeaders(envelope));
    assert.equal(record.key, "dev-7");
    assert.deepEqual([...record.headers], [...reference.headers]);
    assert.equal(await decoded(DecodeCause.malformedHeaders), 1);

    // Not decodable: naked until the last allowed delivery, then dead-lettered as today.
    const garbage = new Uint8Array([0xff, 0xff, 0xff]);
    const first = badTime(garbage, 1);
    pipeline.push(first);
    assert.equal(first.outcomes[0]?.kind, "nak");
    const last = badTime(garbage, 2);
    const batches = sink.batches.length;
    pipeline.push(last);
    const dead = sink.batches[batches]?.[0];
    assert.equal(dead?.topic, "bridge-dlq");
    assert.match(dead?.headers.get(BridgeHeaders.deadLetterReason) ?? "", /^undecodable-envelope/);
    sink.succeed();
    await settle();
    assert.equal(last.outcomes[0]?.kind, "term");
    pipeline.close();
  });
});
