import {
  type Attributes,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { Logger } from "pino";
import { boundedSpans, type SpanCounts } from "./span-accounting.ts";
import { formatTraceparent, newUnsampledTraceparent, parseTraceparent } from "./trace-context.ts";
import type { TracingConfig } from "./tracing-fields.ts";

/** One hop of an event's trace: a span when the trace is recorded here, else nothing to record. */
export interface EventSpan {
  /** The `traceparent` the next hop continues from: this span's when it records, else the one it came with. */
  readonly traceparent: string;
  /** Whether this span is recorded (exported); attributes of a span that is not are dropped. */
  readonly recording: boolean;
  setAttributes(attributes: Attributes): void;
  /** Ends the span at `endMs` (epoch ms, default now), failed when `error` is given. */
  end(endMs?: number, error?: string): void;
}

/** The kind of hop: a publisher of the event (collector, bridge) or a consumer that ends its journey. */
export type HopKind = "producer" | "consumer";

/**
 * Traces events across the services: one trace per event, from the collector to the lake, its
 * context carried hop to hop in `traceparent` (envelope, NATS and Kafka headers). Spans are
 * recorded and exported over OTLP/HTTP only when an endpoint is configured and the trace is
 * sampled; the ids travel with every event either way, so the lake row names its trace.
 */
export interface EventTracer {
  /** Whether spans are exported (an OTLP endpoint is configured). */
  readonly exporting: boolean;
  /**
   * The first hop of an event: a child of the sender's `traceparent` when it sent a valid one,
   * else the root of a new trace (sampled by `sampleRatio` when exporting, never otherwise).
   */
  startEvent(name: string, startMs: number, senderTraceparent?: string): EventSpan;
  /**
   * A later hop: a child of `traceparent`, recorded when the trace is sampled and this service
   * exports. Without a valid `traceparent` there is no trace to continue: the span records
   * nothing and passes nothing on.
   */
  continueEvent(name: string, startMs: number, traceparent: string | undefined, kind: HopKind): EventSpan;
  /** Exports what is buffered (at drain and shutdown). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Who exports: the service's identity, as the OTLP resource names it. */
export interface EventTracerOptions {
  readonly config: TracingConfig;
  readonly service: string;
  readonly version: string;
  readonly instanceId: string;
  readonly logger?: Logger;
  /** Replaces the OTLP exporter (unit tests). */
  readonly exporter?: SpanExporter;
  /** Where exported and dropped spans are counted (the service's metrics). */
  readonly counts?: SpanCounts;
}

/** A hop that records nothing: it passes `traceparent` on (one small object per event). */
class PassingSpan implements EventSpan {
  readonly recording = false;
  readonly traceparent: string;
  constructor(traceparent: string) {
    this.traceparent = traceparent;
  }
  setAttributes(): void {}
  end(): void {}
}

const untraced: EventSpan = new PassingSpan("");

function passing(traceparent: string): EventSpan {
  return new PassingSpan(traceparent);
}

function recorded(span: Span): EventSpan {
  const context = span.spanContext();
  const traceparent = formatTraceparent({ traceId: context.traceId, spanId: context.spanId, sampled: true });
  return {
    traceparent,
    recording: true,
    setAttributes: (attributes) => void span.setAttributes(attributes),
    end(endMs, error) {
      if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      span.end(endMs);
    },
  };
}

/** Parses `name=value` export headers; a malformed entry is a config error, said at start. */
export function exportHeaders(entries: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf("=");
    if (at <= 0) throw new Error(`tracing.headers: "${entry.slice(0, 40)}" is not name=value`);
    headers[entry.slice(0, at).trim()] = entry.slice(at + 1).trim();
  }
  return headers;
}

/** Creates the service's event tracer (see {@link EventTracer}). */
export function createEventTracer(options: EventTracerOptions): EventTracer {
  const { config } = options;
  const endpoint = config.otlpEndpoint;
  if (endpoint === undefined && options.exporter === undefined) return notExporting();
  const bounded = boundedSpans(
    options.exporter ??
      new OTLPTraceExporter({
        url: `${(endpoint ?? "").replace(/\/+$/, "")}/v1/traces`,
        headers: exportHeaders(config.headers),
      }),
    config.maxQueuedSpans,
    options.counts ?? { exported() {}, failed() {}, dropped() {} },
  );
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      "service.name": options.service,
      "service.version": options.version,
      "service.instance.id": options.instanceId,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [
      bounded.wrap(
        new BatchSpanProcessor({
          exporter: bounded.exporter,
          // Never reached: the bound in front of it drops first, and counts what it drops.
          maxQueueSize: config.maxQueuedSpans,
          maxExportBatchSize: Math.min(512, config.maxQueuedSpans),
          scheduledDelayMillis: 1000,
        }),
      ),
    ],
  });
  const tracer: Tracer = provider.getTracer("langtian-eda", options.version);
  const start = (name: string, startMs: number, parent: string | undefined, kind: SpanKind): Span => {
    const context = parseTraceparent(parent);
    const parentContext =
      context === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, {
            traceId: context.traceId,
            spanId: context.spanId,
            traceFlags: context.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
            isRemote: true,
          });
    return tracer.startSpan(name, { startTime: startMs, kind }, parentContext);
  };
  options.logger?.info(
    { endpoint: endpoint ?? "(test exporter)", sampleRatio: config.sampleRatio },
    "tracing: exporting spans over OTLP",
  );
  return {
    exporting: true,
    startEvent(name, startMs, senderTraceparent) {
      const span = start(name, startMs, senderTraceparent, SpanKind.PRODUCER);
      if (span.isRecording()) return recorded(span);
      // Not sampled: the ids still travel (a new root's, or the sender's unchanged).
      const c = span.spanContext();
      const sender = parseTraceparent(senderTraceparent);
      return passing(
        sender === undefined
          ? formatTraceparent({ traceId: c.traceId, spanId: c.spanId, sampled: false })
          : (senderTraceparent as string),
      );
    },
    continueEvent(name, startMs, traceparent, kind) {
      const parent = parseTraceparent(traceparent);
      if (parent === undefined) return untraced;
      if (!parent.sampled) return passing(traceparent as string);
      const span = start(
        name,
        startMs,
        traceparent,
        kind === "producer" ? SpanKind.PRODUCER : SpanKind.CONSUMER,
      );
      return span.isRecording() ? recorded(span) : passing(traceparent as string);
    },
    flush: () => provider.forceFlush({ timeoutMillis: 5000 }).catch(() => undefined),
    shutdown: () => provider.shutdown().catch(() => undefined),
  };
}

/** Without an exporter: new traces get ids (never sampled), existing ones pass through. */
function notExporting(): EventTracer {
  return {
    exporting: false,
    startEvent(_name, _startMs, senderTraceparent) {
      if (senderTraceparent !== undefined && parseTraceparent(senderTraceparent) !== undefined) {
        return passing(senderTraceparent);
      }
      return passing(newUnsampledTraceparent());
    },
    continueEvent(_name, _startMs, traceparent) {
      return parseTraceparent(traceparent) === undefined ? untraced : passing(traceparent as string);
    },
    flush: async () => {},
    shutdown: async () => {},
  };
}
