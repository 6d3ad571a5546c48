import { randomFillSync } from "node:crypto";

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) as the platform passes it from
 * hop to hop: the `traceparent` text in NATS and Kafka headers and in the envelope.
 */
export interface TraceParent {
  /** 32 lower-case hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lower-case hex digits, not all zero: the span the next hop is a child of. */
  readonly spanId: string;
  /** Whether the trace is sampled (flag 01): every hop records its span, or none does. */
  readonly sampled: boolean;
}

const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-|$)/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/**
 * Reads a `traceparent` value; undefined when it is not a valid one (the spec says to start
 * a new trace then). Versions after 00 are read by their 00 prefix, as the spec asks.
 */
export function parseTraceparent(value: string | undefined): TraceParent | undefined {
  if (value === undefined) return undefined;
  const m = traceparentPattern.exec(value);
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  if (version === "ff" || (version === "00" && value.length !== 55)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** The `traceparent` text of a context (version 00). */
export function formatTraceparent(context: TraceParent): string {
  return `00-${context.traceId}-${context.spanId}-${context.sampled ? "01" : "00"}`;
}

// Random ids are cut from a pool filled 4 KiB at a time: the collector makes one trace per
// event, and one getRandomValues call per id showed at tens of thousands of events a second.
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolAt = POOL_BYTES;

function randomHex(bytes: number): string {
  if (poolAt + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const hex = pool.toString("hex", poolAt, poolAt + bytes);
  poolAt += bytes;
  return hex;
}

/** A new random trace id (32 hex digits, never all zero). */
export function newTraceId(): string {
  for (;;) {
    const id = randomHex(16);
    if (id !== ZERO_TRACE) return id;
  }
}

/**
 * A new unsampled root `traceparent` (version 00, flags 00): a trace id and a span id in one
 * cut from the pool, the collector's cost per event when it exports nothing.
 */
export function newUnsampledTraceparent(): string {
  for (;;) {
    const hex = randomHex(24);
    if (!hex.startsWith(ZERO_TRACE) && !hex.endsWith(ZERO_SPAN)) {
      return `00-${hex.slice(0, 32)}-${hex.slice(32)}-00`;
    }
  }
}

/** A new random span id (16 hex digits, never all zero). */
export function newSpanId(): string {
  for (;;) {
    const id = randomHex(8);
    if (id !== ZERO_SPAN) return id;
  }
}
