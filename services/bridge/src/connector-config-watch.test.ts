import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkConnectorConfig } from "@langtian/connector-config";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { loadBridgeConfig } from "./config.ts";
import { appliedConnectorConfig } from "./connector-config-watch.ts";
import { createBridgeMetrics } from "./metrics.ts";
import { createPipeline } from "./pipeline.ts";
import { controlledSink, envelopeBytes, fakeMessage, settle } from "./testing/fakes.ts";

const base = loadBridgeConfig({
  LANGTIAN_BRIDGE_TOPICS_RULES: "eda.*.alarm=own-alarms",
  LANGTIAN_BRIDGE_TOPICS_DEFAULT_TOPIC: "own-events",
  LANGTIAN_BRIDGE_PIPELINE_MAX_BATCH_RECORDS: "100",
  LANGTIAN_BRIDGE_PIPELINE_MAX_IN_FLIGHT: "1000",
});

function shared(value: unknown) {
  const check = checkConnectorConfig(value);
  assert.ok(check.ok);
  return check;
}

describe("appliedConnectorConfig", () => {
  it("is the bridge's own configuration without a shared value", () => {
    const own = appliedConnectorConfig(base, 7);
    assert.equal(own.revision, 0);
    assert.deepEqual(own.rules, base.topicRules);
    assert.equal(own.settings.router.topicFor("eda.d.alarm"), "own-alarms");
    assert.equal(own.settings.router.topicFor("eda.d.telemetry"), "own-events");
    assert.equal(own.settings.deadLetterTopic, base.topics.deadLetterTopic);
    assert.equal(own.settings.maxBatchRecords, 100);
    assert.deepEqual(own.settings.backoff, {
      initialMs: base.pipeline.backoffInitialMs,
      maxMs: base.pipeline.backoffMaxMs,
      jitter: 0.2,
    });
  });

  it("takes routing from the shared value, and each setting it sets over the bridge's own", () => {
    const applied = appliedConnectorConfig(
      base,
      7,
      shared({
        topics: {
          rules: ["eda.>=shared-events"],
          defaultTopic: "shared-other",
          deadLetterTopic: "shared-dlq",
        },
        pipeline: { maxInFlight: 50, backoffMaxMs: 2000 },
      }),
    );
    assert.equal(applied.revision, 7);
    assert.equal(applied.settings.router.topicFor("eda.d.alarm"), "shared-events");
    assert.equal(applied.settings.router.topicFor("x"), "shared-other");
    assert.equal(applied.settings.deadLetterTopic, "shared-dlq");
    assert.equal(applied.settings.maxInFlight, 50);
    assert.equal(applied.settings.maxBatchRecords, 100, "not set: the bridge's own");
    assert.equal(applied.settings.backoff.maxMs, 2000);
  });
});

describe("Pipeline.reconfigure", () => {
  it("routes later messages by the new rules; held ones keep their topic; none lost or doubled", async () => {
    const registry = new Registry();
    const metrics = createBridgeMetrics({
      counter: (o) => new Counter({ ...o, registers: [registry] }),
      gauge: (o) => new Gauge({ ...o, registers: [registry] }),
      histogram: (o) => new Histogram({ ...o, registers: [registry] }),
    });
    const sink = controlledSink();
    const pipeline = createPipeline({
      sink,
      ...appliedConnectorConfig(base, 0).settings,
      workingIntervalMs: 60_000,
      ordered: false,
      metrics,
    });
    const before = Array.from({ length: 3 }, (_, i) =>
      fakeMessage(envelopeBytes(), { subject: "eda.d.alarm", seq: i + 1 }),
    );
    for (const m of before) pipeline.push(m);
    // The first is being written, the other two wait in the queue when the change comes.
    assert.equal(sink.batches.length, 1);
    pipeline.reconfigure(
      appliedConnectorConfig(
        base,
        2,
        shared({
          topics: { rules: ["eda.*.alarm=new-alarms"], defaultTopic: "x", deadLetterTopic: "y" },
          pipeline: { maxBatchRecords: 1 },
        }),
      ).settings,
    );
    const after = Array.from({ length: 2 }, (_, i) =>
      fakeMessage(envelopeBytes(), { subject: "eda.d.alarm", seq: i + 4 }),
    );
    for (const m of after) pipeline.push(m);
    const topics: string[] = [];
    for (let i = 0; i < 10 && sink.batches.length > topics.length; i++) {
      const batch = sink.batches[topics.length] ?? [];
      topics.push(batch.map((r) => r.topic).join(","));
      sink.succeed();
      await settle();
    }
    assert.deepEqual(topics, [
      "own-alarms",
      // Batches taken after the change are one record each (maxBatchRecords 1).
      "own-alarms",
      "own-alarms",
      "new-alarms",
      "new-alarms",
    ]);
    for (const m of [...before, ...after]) assert.deepEqual(m.outcomes, [{ kind: "ack" }]);
    assert.equal(pipeline.inFlight(), 0);
    pipeline.close();
  });
});
