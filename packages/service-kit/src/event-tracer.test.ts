import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { createEventTracer, exportHeaders } from "./event-tracer.ts";
import { parseTraceparent } from "./trace-context.ts";
import type { TracingConfig } from "./tracing-fields.ts";

const config = (sampleRatio: number): TracingConfig => ({
  otlpEndpoint: undefined,
  sampleRatio,
  headers: [],
  maxQueuedSpans: 1024,
});
const identity = { service: "collector", version: "1.2.3", instanceId: "collector-0" };

describe("the event tracer", () => {
  it("gives every event a new unsampled trace when it exports nothing, and passes a sender's on", async () => {
    const tracer = createEventTracer({ config: config(1), ...identity });
    assert.equal(tracer.exporting, false);
    const a = parseTraceparent(tracer.startEvent("collector.receive", Date.now()).traceparent);
    const b = parseTraceparent(tracer.startEvent("collector.receive", Date.now()).traceparent);
    assert.ok(a !== undefined && b !== undefined);
    assert.notEqual(a.traceId, b.traceId);
    assert.equal(a.sampled, false);
    const sender = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    assert.equal(tracer.startEvent("collector.receive", Date.now(), sender).traceparent, sender);
    assert.equal(tracer.continueEvent("bridge.forward", Date.now(), sender, "producer").traceparent, sender);
    assert.equal(tracer.continueEvent("bridge.forward", Date.now(), undefined, "producer").traceparent, "");
    await tracer.shutdown();
  });

  it("records one trace across hops: each hop a child of the one before, ended with its outcome", async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = createEventTracer({ config: config(1), ...identity, exporter });
    assert.equal(tracer.exporting, true);
    const t0 = Date.now() - 50;
    const first = tracer.startEvent("collector.receive", t0);
    assert.equal(first.recording, true);
    first.setAttributes({ "langtian.event_id": "e-1" });
    const second = tracer.continueEvent("bridge.forward", t0 + 10, first.traceparent, "producer");
    const third = tracer.continueEvent("lake_writer.commit", t0 + 20, second.traceparent, "consumer");
    third.end(t0 + 40, "commit failed");
    second.end(t0 + 30);
    first.end(t0 + 5);
    await tracer.flush();
    const spans = exporter.getFinishedSpans();
    const byName = new Map(spans.map((s) => [s.name, s]));
    const [c, b, l] = ["collector.receive", "bridge.forward", "lake_writer.commit"].map((n) => byName.get(n));
    assert.ok(c && b && l, "three spans exported");
    const traceId = parseTraceparent(first.traceparent)?.traceId;
    for (const s of [c, b, l]) assert.equal(s.spanContext().traceId, traceId);
    assert.equal(c.parentSpanContext, undefined);
    assert.equal(b.parentSpanContext?.spanId, c.spanContext().spanId);
    assert.equal(l.parentSpanContext?.spanId, b.spanContext().spanId);
    assert.equal(parseTraceparent(second.traceparent)?.spanId, b.spanContext().spanId);
    assert.deepEqual([c.kind, b.kind, l.kind], [SpanKind.PRODUCER, SpanKind.PRODUCER, SpanKind.CONSUMER]);
    assert.equal(c.attributes["langtian.event_id"], "e-1");
    assert.equal(l.status.code, SpanStatusCode.ERROR);
    assert.equal(l.status.message, "commit failed");
    assert.equal(c.resource.attributes["service.name"], "collector");
    assert.equal(c.resource.attributes["service.instance.id"], "collector-0");
    assert.equal(c.startTime[0] * 1000 + Math.round(c.startTime[1] / 1e6), t0);
    await tracer.shutdown();
  });

  it("records no hop of a trace its first hop did not sample", async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = createEventTracer({ config: config(0), ...identity, exporter });
    const first = tracer.startEvent("collector.receive", Date.now());
    assert.equal(first.recording, false);
    assert.equal(parseTraceparent(first.traceparent)?.sampled, false);
    const next = tracer.continueEvent("bridge.forward", Date.now(), first.traceparent, "producer");
    assert.equal(next.recording, false);
    assert.equal(next.traceparent, first.traceparent);
    first.end();
    next.end();
    await tracer.flush();
    assert.equal(exporter.getFinishedSpans().length, 0);
    await tracer.shutdown();
  });

  it("reads export headers as name=value and refuses anything else", () => {
    assert.deepEqual(exportHeaders(["authorization=Bearer x=y", " x-team = a "]), {
      authorization: "Bearer x=y",
      "x-team": "a",
    });
    assert.throws(() => exportHeaders(["no-equals"]), /not name=value/);
  });
});

describe("traceparent", () => {
  it("reads valid values and refuses invalid ones", () => {
    assert.deepEqual(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), {
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      sampled: true,
    });
    for (const bad of [
      undefined,
      "",
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
      "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
    ]) {
      assert.equal(parseTraceparent(bad), undefined, String(bad));
    }
    // A later version may add fields after the flags.
    assert.equal(
      parseTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00-x")?.sampled,
      false,
    );
  });
});
