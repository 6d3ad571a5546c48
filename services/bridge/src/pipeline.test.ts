import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { uuidv7 } from "@langtian/envelope";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { BridgeHeaders, createTopicRouter, HeaderSet } from "./mapping.ts";
import { createBridgeMetrics } from "./metrics.ts";
import { createPipeline, type PipelineOptions } from "./pipeline.ts";
import { RecordTooLargeError } from "./pipeline-errors.ts";
import { controlledSink, envelopeBytes, fakeMessage, settle } from "./testing/fakes.ts";

function setup(overrides: Partial<PipelineOptions> = {}) {
  const sink = controlledSink();
  const registry = new Registry();
  const metrics = createBridgeMetrics({
    counter: (o) => new Counter({ ...o, registers: [registry] }),
    gauge: (o) => new Gauge({ ...o, registers: [registry] }),
    histogram: (o) => new Histogram({ ...o, registers: [registry] }),
  });
  let clock = Date.now();
  const pipeline = createPipeline({
    sink,
    router: createTopicRouter([{ subject: "events.device.>", topic: "device-events" }], "events"),
    deadLetterTopic: "bridge-dlq",
    maxBatchRecords: 100,
    maxBatchBytes: 1_000_000,
    maxRecordBytes: 10_000,
    maxInFlight: 1000,
    poisonMaxDeliveries: 3,
    backoff: { initialMs: 100, maxMs: 5000, jitter: 0 },
    workingIntervalMs: 60_000,
    produceTimeoutMs: 60_000,
    ordered: false,
    metrics,
    now: () => clock,
    ...overrides,
  });
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const all = (await registry.getMetricsAsJSON()).flatMap((m) =>
      m.values.map((v) => ({ ...v, name: (v as { metricName?: string }).metricName ?? m.name })),
    );
    const v = all.find((x) => x.name === name && Object.entries(labels).every(([k, l]) => x.labels[k] === l));
    return v?.value ?? 0;
  };
  return { sink, pipeline, metrics, value, advance: (ms: number) => (clock += ms) };
}

describe("pipeline", () => {
  it("acks only after Kafka confirms the write", async () => {
    const { sink, pipeline, value } = setup();
    const msg = fakeMessage(envelopeBytes({ partitionKey: "dev-1" }), { subject: "events.device.telemetry" });
    pipeline.push(msg);
    assert.equal(sink.batches.length, 1);
    assert.deepEqual(msg.outcomes, []);
    sink.succeed();
    await settle();
    assert.deepEqual(msg.outcomes, [{ kind: "ack" }]);
    const [record] = sink.batches[0] ?? [];
    assert.equal(record?.topic, "device-events");
    assert.equal(record?.key, "dev-1");
    assert.equal(record?.value, msg.data);
    assert.equal(await value("acked_total"), 1);
    assert.equal(await value("produced_total"), 1);
    pipeline.close();
  });

  it("writes only the ids and trace context as headers with the minimal header set", async () => {
    const { sink, pipeline } = setup({ headerSet: HeaderSet.minimal });
    const id = uuidv7();
    pipeline.push(fakeMessage(envelopeBytes({ eventId: id }), { subject: "events.device.telemetry" }));
    const [record] = sink.batches[0] ?? [];
    assert.deepEqual([...(record?.headers.keys() ?? [])], [BridgeHeaders.eventId, BridgeHeaders.natsMsgId]);
    assert.equal(record?.headers.get(BridgeHeaders.eventId), id);
    sink.succeed();
    await settle();
    pipeline.close();
  });

  it("batches what arrives while a produce request is out", async () => {
    const { sink, pipeline } = setup();
    const msgs = Array.from({ length: 5 }, (_, i) => fakeMessage(envelopeBytes(), { seq: i + 1 }));
    for (const m of msgs) pipeline.push(m);
    assert.equal(sink.batches.length, 1, "one request out, the rest wait");
    assert.equal(sink.batches[0]?.length, 1);
    sink.succeed();
    await settle();
    assert.equal(sink.batches.length, 2);
    assert.equal(sink.batches[1]?.length, 4, "the four that waited go together");
    sink.succeed();
    await settle();
    assert.ok(msgs.every((m) => m.outcomes.length === 1 && m.outcomes[0]?.kind === "ack"));
    pipeline.close();
  });

  it("naks with backoff on a Kafka error and pauses before the next attempt", async () => {
    const { sink, pipeline, value, advance } = setup();
    const first = fakeMessage(envelopeBytes(), { deliveryCount: 2 });
    pipeline.push(first);
    const second = fakeMessage(envelopeBytes(), { seq: 2 });
    pipeline.push(second);
    sink.fail();
    await settle();
    assert.deepEqual(first.outcomes, [{ kind: "nak", delayMs: 200 }], "backoff grows with deliveries");
    assert.equal(sink.batches.length, 1, "paused: the second message is not sent yet");
    assert.equal(await value("naked_total", { reason: "kafka-error" }), 1);
    advance(100);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(sink.batches.length, 2, "resumes after the pause");
    sink.succeed();
    await settle();
    assert.deepEqual(second.outcomes, [{ kind: "ack" }]);
    pipeline.close();
  });

  it("naks an undecodable message until its last allowed delivery, then dead-letters it with the reason", async () => {
    const { sink, pipeline, value } = setup();
    const garbage = new Uint8Array([0xff, 0xff, 0xff, 0xff]);
    const early = fakeMessage(garbage, { deliveryCount: 1 });
    pipeline.push(early);
    assert.deepEqual(early.outcomes, [{ kind: "nak", delayMs: 100 }]);
    assert.equal(sink.batches.length, 0);

    const last = fakeMessage(garbage, { deliveryCount: 3, seq: 42, headers: { "Nats-Msg-Id": "m-42" } });
    pipeline.push(last);
    const [dlq] = sink.batches[0] ?? [];
    assert.equal(dlq?.topic, "bridge-dlq");
    assert.equal(dlq?.value, garbage);
    assert.match(dlq?.headers.get(BridgeHeaders.deadLetterReason) ?? "", /^undecodable-envelope/);
    assert.equal(dlq?.headers.get(BridgeHeaders.natsStreamSequence), "42");
    assert.equal(dlq?.headers.get(BridgeHeaders.natsMsgId), "m-42");
    assert.equal(last.outcomes.length, 0, "terminated only once the dead letter is confirmed");
    sink.succeed();
    await settle();
    assert.equal(last.outcomes[0]?.kind, "term");
    assert.equal(await value("dead_lettered_total", { reason: "undecodable-envelope" }), 1);
    pipeline.close();
  });

  it("dead-letters a record larger than Kafka accepts without its value", async () => {
    const { sink, pipeline } = setup({ poisonMaxDeliveries: 1 });
    const big = fakeMessage(envelopeBytes({ payload: new Uint8Array(20_000) }));
    pipeline.push(big);
    const [dlq] = sink.batches[0] ?? [];
    assert.equal(dlq?.topic, "bridge-dlq");
    assert.equal(dlq?.value, undefined);
    assert.match(dlq?.headers.get(BridgeHeaders.deadLetterReason) ?? "", /^too-large-for-kafka/);
    pipeline.close();
  });

  it("dead-letters a record the broker refuses as too large", async () => {
    const { sink, pipeline, advance } = setup();
    const msg = fakeMessage(envelopeBytes());
    pipeline.push(msg);
    sink.fail(new RecordTooLargeError("MESSAGE_TOO_LARGE"));
    await settle();
    advance(1000);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(sink.batches[1]?.[0]?.topic, "bridge-dlq");
    sink.succeed();
    await settle();
    assert.equal(msg.outcomes[0]?.kind, "term");
    pipeline.close();
  });

  it("in ordered mode retries a failed batch in place instead of naking", async () => {
    const { sink, pipeline, advance } = setup({ ordered: true });
    const [idA, idB] = [uuidv7(), uuidv7()];
    const a = fakeMessage(envelopeBytes({ eventId: idA }), { seq: 1 });
    const b = fakeMessage(envelopeBytes({ eventId: idB }), { seq: 2 });
    pipeline.push(a);
    pipeline.push(b);
    sink.fail();
    await settle();
    assert.deepEqual(a.outcomes, []);
    advance(100);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(
      sink.batches[1]?.map((r) => r.headers.get(BridgeHeaders.eventId)),
      [idA, idB],
      "same order on retry",
    );
    sink.succeed();
    await settle();
    assert.deepEqual([a.outcomes, b.outcomes], [[{ kind: "ack" }], [{ kind: "ack" }]]);
    pipeline.close();
  });

  it("holds writes while paused and resumes in stream order", async () => {
    const { sink, pipeline } = setup();
    pipeline.pause();
    pipeline.push(fakeMessage(envelopeBytes(), { seq: 7 }));
    pipeline.push(fakeMessage(envelopeBytes(), { seq: 3 }));
    await settle();
    assert.equal(sink.batches.length, 0);
    pipeline.resume();
    assert.deepEqual(
      sink.batches[0]?.map((r) => r.headers.get(BridgeHeaders.natsStreamSequence)),
      ["3", "7"],
    );
    pipeline.close();
  });

  it("naks with a delay what arrives beyond the in-flight limit", async () => {
    const { sink, pipeline, value } = setup({ maxInFlight: 2 });
    const held = [fakeMessage(envelopeBytes()), fakeMessage(envelopeBytes())];
    for (const m of held) pipeline.push(m);
    const extra = fakeMessage(envelopeBytes());
    pipeline.push(extra);
    assert.deepEqual(extra.outcomes, [{ kind: "nak", delayMs: 5000 }]);
    assert.equal(await value("naked_total", { reason: "overloaded" }), 1);
    sink.succeed();
    await settle();
    sink.succeed();
    await settle();
    assert.ok(held.every((m) => m.outcomes[0]?.kind === "ack"));
    pipeline.close();
  });

  it("drains: naks new messages, finishes held ones, then reports drained", async () => {
    const { sink, pipeline } = setup();
    const held = fakeMessage(envelopeBytes());
    pipeline.push(held);
    let drained = false;
    const drain = pipeline.drain().then(() => {
      drained = true;
    });
    const late = fakeMessage(envelopeBytes());
    pipeline.push(late);
    assert.deepEqual(late.outcomes, [{ kind: "nak", delayMs: 0 }]);
    await settle();
    assert.equal(drained, false);
    sink.succeed();
    await drain;
    assert.deepEqual(held.outcomes, [{ kind: "ack" }]);
    pipeline.close();
  });

  it("counts a produce that never settles as failed and naks its messages", async () => {
    const { pipeline, value } = setup({ produceTimeoutMs: 30 });
    const msg = fakeMessage(envelopeBytes());
    pipeline.push(msg);
    while (msg.outcomes.length === 0) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(msg.outcomes, [{ kind: "nak", delayMs: 100 }]);
    assert.equal(await value("kafka_produce_errors_total"), 1);
    pipeline.close();
  });

  it("keeps held messages alive with in-progress acks during slow writes", async () => {
    const { sink, pipeline } = setup({ workingIntervalMs: 20 });
    const msg = fakeMessage(envelopeBytes());
    pipeline.push(msg);
    while (msg.workingCalls < 2) await new Promise((r) => setTimeout(r, 10));
    sink.succeed();
    await settle();
    assert.deepEqual(msg.outcomes, [{ kind: "ack" }]);
    pipeline.close();
  });

  it("observes end-to-end lag from the event timestamp", async () => {
    const { sink, pipeline, value, advance } = setup();
    const eventMs = advance(0);
    pipeline.push(fakeMessage(envelopeBytes({ eventMs })));
    advance(2500);
    sink.succeed();
    await settle();
    assert.equal(await value("end_to_end_lag_seconds_sum"), 2.5);
    pipeline.close();
  });
});
