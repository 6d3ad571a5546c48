import type { Envelope } from "@langtian/proto";

/**
 * Header names of an event's metadata: the collector publishes them as NATS headers and the
 * bridge writes the same names as Kafka headers, so a consumer can route, key and dedupe
 * without decoding the envelope. Lower-case, prefixed, stable: consumers select on them.
 */
export const EventHeader = {
  eventId: "langtian-event-id",
  eventType: "langtian-event-type",
  /** `event_timestamp` as ISO-8601 UTC with milliseconds ({@link timestampToIso}). */
  eventTimestamp: "langtian-event-timestamp",
  schemaVersion: "langtian-schema-version",
  sourceSystem: "langtian-source-system",
  /** Only when the envelope sets `partition_key`. */
  partitionKey: "langtian-partition-key",
  payloadType: "langtian-payload-type",
  /** W3C trace context, only when the envelope carries one. */
  traceparent: "traceparent",
  tracestate: "tracestate",
} as const;
/** One of {@link EventHeader}'s values. */
export type EventHeaderName = (typeof EventHeader)[keyof typeof EventHeader];

/** One header: name and value. */
export type HeaderEntry = readonly [name: EventHeaderName, value: string];

/** CR or LF end a header line; header parsers trim values (nats.js does). */
const headerBreaking = /[\r\n]/;

/** Whether a text header carries `value` unchanged: no line break, nothing a parser trims. */
function travelsInHeader(value: string): boolean {
  return !headerBreaking.test(value) && value.trim() === value;
}

/**
 * The event's metadata as headers, in {@link EventHeader} order, with exactly the values a
 * reader of the envelope derives: optional fields only when set (trace context when not
 * empty), the timestamp through {@link timestampToIso}. Undefined when any value would not
 * travel unchanged in a text header (a line break, or whitespace at either end): the
 * publisher then sends no metadata headers and readers decode the envelope instead.
 */
export function eventHeaderEntries(envelope: Envelope): HeaderEntry[] | undefined {
  const entries: HeaderEntry[] = [
    [EventHeader.eventId, envelope.eventId],
    [EventHeader.eventType, envelope.eventType],
  ];
  if (envelope.eventTimestamp !== undefined) {
    entries.push([EventHeader.eventTimestamp, timestampToIso(envelope.eventTimestamp)]);
  }
  entries.push(
    [EventHeader.schemaVersion, envelope.schemaVersion],
    [EventHeader.sourceSystem, envelope.sourceSystem],
  );
  if (envelope.partitionKey !== undefined) entries.push([EventHeader.partitionKey, envelope.partitionKey]);
  entries.push([EventHeader.payloadType, envelope.payloadType]);
  const trace = envelope.traceContext;
  if (trace !== undefined && trace.traceparent !== "")
    entries.push([EventHeader.traceparent, trace.traceparent]);
  if (trace !== undefined && trace.tracestate !== "")
    entries.push([EventHeader.tracestate, trace.tracestate]);
  for (const [, value] of entries) if (!travelsInHeader(value)) return undefined;
  return entries;
}

/** Milliseconds since the epoch of a protobuf Timestamp (sub-millisecond part dropped). */
export function timestampToMs(ts: { readonly seconds: bigint; readonly nanos: number }): number {
  return Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1_000_000);
}

/** The ISO text of the last whole second formatted, up to its "." (events arrive in time order). */
let formattedSecond = Number.NaN;
let formattedSecondPrefix = "";

/**
 * ISO-8601 UTC with milliseconds, as `Date.prototype.toISOString` writes it. The date part is
 * formatted once per second and reused: this runs for every event, and consecutive events
 * nearly always fall in the same second. A timestamp outside `Date`'s range gives its seconds.
 */
export function timestampToIso(ts: { readonly seconds: bigint; readonly nanos: number }): string {
  const ms = timestampToMs(ts);
  if (!(Number.isFinite(ms) && Math.abs(ms) < 8.64e15)) return String(ts.seconds);
  const second = Math.floor(ms / 1000);
  if (second !== formattedSecond) {
    // "2026-11-27T18:00:00.000Z" without its "000Z".
    formattedSecondPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    formattedSecond = second;
  }
  const milli = ms - second * 1000;
  return `${formattedSecondPrefix}${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}

/** The last whole second parsed: its text up to the "." and its epoch milliseconds. */
let parsedSecondPrefix = "";
let parsedSecondMs = 0;
const isoPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Inverse of {@link timestampToIso} for years 0000–9999: epoch milliseconds of
 * `YYYY-MM-DDTHH:MM:SS.mmmZ`, or undefined for any other text (other layouts, impossible dates
 * such as February 30th). The second is parsed and checked once and reused, like the formatter.
 */
export function isoToMs(iso: string): number | undefined {
  if (iso.length !== 24 || iso.charCodeAt(19) !== 46 /* . */ || iso.charCodeAt(23) !== 90 /* Z */) {
    return undefined;
  }
  const milli = threeDigits(iso, 20);
  if (milli === undefined) return undefined;
  if (parsedSecondPrefix !== "" && iso.startsWith(parsedSecondPrefix)) return parsedSecondMs + milli;
  if (!isoPattern.test(iso)) return undefined;
  const ms = Date.parse(iso);
  // Date.parse rolls some impossible dates over; only text it would write itself is accepted.
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== iso) return undefined;
  parsedSecondPrefix = iso.slice(0, 20);
  parsedSecondMs = ms - milli;
  return ms;
}

function threeDigits(s: string, at: number): number | undefined {
  let n = 0;
  for (let i = at; i < at + 3; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n;
}
