/**
 * W3C trace context (`traceparent` / `tracestate`) for message headers: a small propagator
 * on the @opentelemetry/api `TextMapPropagator` interface, helpers for NATS headers
 * (`MsgHdrs`) and Kafka headers, and conversion to/from the Envelope's `TraceContext`.
 * Works with or without an OpenTelemetry SDK: without one, an extracted context is still
 * carried along and re-injected unchanged.
 */
import { create } from "@bufbuild/protobuf";
import type { TraceContext } from "@langtian/proto";
import { TraceContextSchema } from "@langtian/proto";
import type {
  Context,
  SpanContext,
  TextMapGetter,
  TextMapPropagator,
  TextMapSetter,
} from "@opentelemetry/api";
import { createTraceState, isSpanContextValid, context as otelContext, trace } from "@opentelemetry/api";

/** Header names (lower case, as the W3C spec writes them). */
export const TRACEPARENT = "traceparent";
/** Header name of the vendor trace state. */
export const TRACESTATE = "tracestate";

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parses a `traceparent` value. Returns undefined for anything invalid: version `ff`,
 * all-zero ids, upper-case hex, or extra fields on version `00`.
 */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  if (value === undefined) return undefined;
  const m = TRACEPARENT_RE.exec(value.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === undefined || traceId === undefined || spanId === undefined || flags === undefined)
    return undefined;
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16),
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** Formats a span context as a version-00 `traceparent`. */
export function formatTraceparent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** A W3C trace-context propagator implementing the OpenTelemetry `TextMapPropagator` interface. */
export const w3cTraceContextPropagator: TextMapPropagator = {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(ctx);
    if (spanContext === undefined || !isSpanContextValid(spanContext)) return;
    setter.set(carrier, TRACEPARENT, formatTraceparent(spanContext));
    const state = spanContext.traceState?.serialize();
    if (state !== undefined && state !== "") setter.set(carrier, TRACESTATE, state);
  },
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
    const parent = parseTraceparent(first(getter.get(carrier, TRACEPARENT)));
    if (parent === undefined) return ctx;
    const rawState = getter.get(carrier, TRACESTATE);
    const state = Array.isArray(rawState) ? rawState.join(",") : rawState;
    const spanContext: SpanContext =
      state === undefined || state === "" ? parent : { ...parent, traceState: createTraceState(state) };
    return trace.setSpanContext(ctx, spanContext);
  },
  fields: () => [TRACEPARENT, TRACESTATE],
};

/** The part of NATS `MsgHdrs` used here (`headers()` from `@nats-io/transport-node`). */
export interface NatsHeadersLike {
  get(key: string): string;
  set(key: string, value: string): void;
}

/** Writes the trace context of `ctx` (default: the active one) into NATS headers. */
export function injectNatsTraceHeaders(headers: NatsHeadersLike, ctx: Context = otelContext.active()): void {
  w3cTraceContextPropagator.inject(ctx, headers, {
    set: (carrier, key, value) => (carrier as NatsHeadersLike).set(key, value),
  });
}

/** Reads a trace context from NATS headers (absent headers: `ctx` unchanged). */
export function extractNatsTraceHeaders(
  headers: NatsHeadersLike | undefined,
  ctx: Context = otelContext.active(),
): Context {
  if (headers === undefined) return ctx;
  return w3cTraceContextPropagator.extract(ctx, headers, {
    // MsgHdrs.get returns "" for a missing key.
    get: (carrier, key) => (carrier as NatsHeadersLike).get(key) || undefined,
    keys: () => [TRACEPARENT, TRACESTATE],
  });
}

/** A Kafka header key or value as clients hand them over (Buffer by default, string with string serdes). */
export type KafkaHeaderBytes = string | Uint8Array;

/** Kafka headers as producers take them and consumers return them: a Map, entry array or record. */
export type KafkaHeadersLike =
  | ReadonlyMap<KafkaHeaderBytes, KafkaHeaderBytes | null | undefined>
  | ReadonlyArray<readonly [KafkaHeaderBytes | null, KafkaHeaderBytes | null]>
  | Readonly<Record<string, KafkaHeaderBytes | null | undefined>>;

/** The trace headers of `ctx` as `[name, value]` string pairs (empty when not traced). */
export function kafkaTraceHeaderEntries(ctx: Context = otelContext.active()): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  w3cTraceContextPropagator.inject(ctx, entries, {
    set: (carrier, key, value) => {
      (carrier as Array<[string, string]>).push([key, value]);
    },
  });
  return entries;
}

/**
 * Adds the trace headers of `ctx` to a Kafka header map with Buffer keys and values (the
 * client's default serdes) and returns the map.
 */
export function injectKafkaTraceHeaders(
  headers: Map<Buffer, Buffer>,
  ctx: Context = otelContext.active(),
): Map<Buffer, Buffer> {
  for (const [key, value] of kafkaTraceHeaderEntries(ctx)) {
    for (const existing of headers.keys()) {
      if (existing.toString("latin1").toLowerCase() === key) headers.delete(existing);
    }
    headers.set(Buffer.from(key, "latin1"), Buffer.from(value, "latin1"));
  }
  return headers;
}

/** Reads a trace context from Kafka headers in any of the shapes clients use. */
export function extractKafkaTraceHeaders(
  headers: KafkaHeadersLike | undefined,
  ctx: Context = otelContext.active(),
): Context {
  if (headers === undefined) return ctx;
  const found = new Map<string, string>();
  const text = (v: KafkaHeaderBytes | null | undefined): string | undefined =>
    v === null || v === undefined ? undefined : typeof v === "string" ? v : Buffer.from(v).toString("latin1");
  const entries: Iterable<readonly [KafkaHeaderBytes | null, KafkaHeaderBytes | null | undefined]> =
    headers instanceof Map || Array.isArray(headers)
      ? (headers as Iterable<readonly [KafkaHeaderBytes | null, KafkaHeaderBytes | null | undefined]>)
      : Object.entries(headers as Record<string, KafkaHeaderBytes | null | undefined>);
  for (const [k, v] of entries) {
    const key = text(k)?.toLowerCase();
    const value = text(v);
    // The first occurrence wins, as for repeated HTTP traceparent headers.
    if ((key === TRACEPARENT || key === TRACESTATE) && value !== undefined && !found.has(key))
      found.set(key, value);
  }
  return w3cTraceContextPropagator.extract(ctx, found, {
    get: (carrier, key) => (carrier as Map<string, string>).get(key),
    keys: (carrier) => [...(carrier as Map<string, string>).keys()],
  });
}

/** The Envelope `TraceContext` of `ctx` (default: the active one), or undefined when not traced. */
export function traceContextToEnvelope(ctx: Context = otelContext.active()): TraceContext | undefined {
  const pairs = new Map<string, string>();
  w3cTraceContextPropagator.inject(ctx, pairs, {
    set: (carrier, key, value) => {
      (carrier as Map<string, string>).set(key, value);
    },
  });
  const traceparent = pairs.get(TRACEPARENT);
  if (traceparent === undefined) return undefined;
  return create(TraceContextSchema, { traceparent, tracestate: pairs.get(TRACESTATE) ?? "" });
}

/** A context carrying the Envelope's trace context (invalid or absent: `ctx` unchanged). */
export function contextFromEnvelope(
  traceContext: Pick<TraceContext, "traceparent" | "tracestate"> | undefined,
  ctx: Context = otelContext.active(),
): Context {
  if (traceContext === undefined) return ctx;
  return w3cTraceContextPropagator.extract(ctx, traceContext, {
    get: (carrier, key) => {
      const tc = carrier as Pick<TraceContext, "traceparent" | "tracestate">;
      const value = key === TRACEPARENT ? tc.traceparent : key === TRACESTATE ? tc.tracestate : undefined;
      return value === "" ? undefined : value;
    },
    keys: () => [TRACEPARENT, TRACESTATE],
  });
}
