import { type Context, TraceFlags } from "@opentelemetry/api";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace";
import type { MetricFactory } from "./metrics.ts";

/** Where the span counts go: the service's metrics, or nothing (a tracer without a service). */
export interface SpanCounts {
  exported(count: number): void;
  failed(count: number): void;
  dropped(count: number): void;
}

/**
 * `<prefix>trace_spans_exported_total`, `<prefix>trace_spans_dropped_total{reason}`: the SDK's
 * batch processor drops spans silently when its queue is full; an operator must see that
 * sampling is too high for the exporter, and that the OTLP receiver refuses spans.
 */
export function spanCountsIn(metrics: MetricFactory): SpanCounts {
  const exported = metrics.counter({
    name: "trace_spans_exported_total",
    help: "Spans the OTLP receiver accepted.",
  });
  const dropped = metrics.counter({
    name: "trace_spans_dropped_total",
    help: "Spans never exported: queue_full (more ended than the exporter took, maxQueuedSpans), export_failed (the receiver refused or did not answer).",
    labelNames: ["reason"],
  });
  // Both series from the start, so a rate() over them has a baseline.
  dropped.inc({ reason: "queue_full" }, 0);
  dropped.inc({ reason: "export_failed" }, 0);
  return {
    exported: (count) => exported.inc(count),
    failed: (count) => dropped.inc({ reason: "export_failed" }, count),
    dropped: (count) => dropped.inc({ reason: "queue_full" }, count),
  };
}

/**
 * A bounded span pipeline: `processor` (the SDK's batch processor, built around the exporter
 * this returns) sees at most `maxQueued` spans that its exporter has not answered for; more are
 * dropped here, where they can be counted, and never reach its own (silent) limit. The events
 * never wait for tracing either way.
 */
export function boundedSpans(
  exporter: SpanExporter,
  maxQueued: number,
  counts: SpanCounts,
): {
  exporter: SpanExporter;
  wrap(processor: SpanProcessor): SpanProcessor;
} {
  /** Spans handed to the processor whose export has not ended: its queue and the batch in flight. */
  let pending = 0;
  const counting: SpanExporter = {
    export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
      exporter.export(spans, (result) => {
        pending -= spans.length;
        if (result.code === ExportResultCode.SUCCESS) counts.exported(spans.length);
        else counts.failed(spans.length);
        resultCallback(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush && { forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve() }),
  };
  return {
    exporter: counting,
    wrap: (processor) => ({
      onStart: (span: Span, parentContext: Context) => processor.onStart(span, parentContext),
      onEnd(span: ReadableSpan) {
        // The processor exports sampled spans only (it ignores the others): those are counted.
        if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) {
          processor.onEnd(span);
          return;
        }
        if (pending >= maxQueued) {
          counts.dropped(1);
          return;
        }
        pending++;
        processor.onEnd(span);
      },
      forceFlush: () => processor.forceFlush(),
      shutdown: () => processor.shutdown(),
    }),
  };
}
