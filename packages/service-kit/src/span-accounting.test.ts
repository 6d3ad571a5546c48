import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";
import { createEventTracer } from "./event-tracer.ts";
import { createMetrics } from "./metrics.ts";
import { spanCountsIn } from "./span-accounting.ts";

/** An exporter that answers only when the test says so: a slow or refusing OTLP receiver. */
function heldExporter() {
  const batches: { spans: ReadableSpan[]; answer(result: ExportResult): void }[] = [];
  const exporter: SpanExporter = {
    export: (spans, answer) => void batches.push({ spans, answer }),
    shutdown: async () => {},
  };
  return { exporter, batches };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(check(), "condition reached");
}

/** The value of one series of `name` in the exposition, or undefined. */
function sample(text: string, name: string, label = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(label));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

describe("span accounting", () => {
  it("drops and counts what exceeds maxQueuedSpans, and counts what the receiver accepts and refuses", async () => {
    const metrics = createMetrics({ service: "bridge", instanceId: "bridge-0", defaultMetrics: false });
    const { exporter, batches } = heldExporter();
    const tracer = createEventTracer({
      config: { otlpEndpoint: undefined, sampleRatio: 1, headers: [], maxQueuedSpans: 16 },
      service: "bridge",
      version: "1.0.0",
      instanceId: "bridge-0",
      exporter,
      counts: spanCountsIn(metrics),
    });
    const end = (count: number) => {
      for (let i = 0; i < count; i++) tracer.startEvent("collector.publish", Date.now()).end(Date.now());
    };
    const text = () => metrics.text();
    assert.equal(sample(await text(), "langtian_bridge_trace_spans_dropped_total", 'reason="queue_full"'), 0);

    end(20);
    assert.equal(
      sample(await text(), "langtian_bridge_trace_spans_dropped_total", 'reason="queue_full"'),
      4,
      "16 queued, 4 dropped",
    );
    const flushed = tracer.flush();
    await until(() => batches.length === 1);
    assert.equal(batches[0]?.spans.length, 16);
    end(1);
    assert.equal(
      sample(await text(), "langtian_bridge_trace_spans_dropped_total", 'reason="queue_full"'),
      5,
      "a batch in flight still counts against the bound",
    );
    batches[0]?.answer({ code: ExportResultCode.SUCCESS });
    await flushed;
    assert.equal(sample(await text(), "langtian_bridge_trace_spans_exported_total"), 16);

    end(2);
    const failing = tracer.flush();
    await until(() => batches.length === 2);
    batches[1]?.answer({ code: ExportResultCode.FAILED, error: new Error("receiver unavailable") });
    await failing;
    assert.equal(
      sample(await text(), "langtian_bridge_trace_spans_dropped_total", 'reason="export_failed"'),
      2,
    );
    end(16);
    assert.equal(
      sample(await text(), "langtian_bridge_trace_spans_dropped_total", 'reason="queue_full"'),
      5,
      "answered batches free the bound",
    );
    const last = tracer.flush();
    await until(() => batches.length === 3);
    batches[2]?.answer({ code: ExportResultCode.SUCCESS });
    await last;
    assert.equal(sample(await text(), "langtian_bridge_trace_spans_exported_total"), 32);
    await tracer.shutdown();
  });
});
