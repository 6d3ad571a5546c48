import { EventHeader, isoToMs, timestampToIso, timestampToMs } from "@langtian/envelope";
import type { Envelope } from "@langtian/proto";

/**
 * What the bridge needs of an event besides its bytes: the record key, the Kafka headers and
 * the event time. Read from the NATS headers the collector publishes, else from the envelope.
 */
export interface EventMetadata {
  readonly eventId: string;
  readonly eventType: string;
  /** `event_timestamp` as ISO-8601 UTC with milliseconds; undefined when the event has none. */
  readonly eventTimestampIso: string | undefined;
  /** The same instant in epoch milliseconds (end-to-end lag). */
  readonly eventMs: number | undefined;
  readonly schemaVersion: string;
  readonly sourceSystem: string;
  readonly partitionKey: string | undefined;
  readonly payloadType: string;
  /** The envelope's own trace context (not empty); NATS `traceparent`/`tracestate` headers win over it. */
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
}

/** The metadata of a decoded envelope. */
export function metadataFromEnvelope(envelope: Envelope): EventMetadata {
  const ts = envelope.eventTimestamp;
  return {
    eventId: envelope.eventId,
    eventType: envelope.eventType,
    eventTimestampIso: ts === undefined ? undefined : timestampToIso(ts),
    eventMs: ts === undefined ? undefined : timestampToMs(ts),
    schemaVersion: envelope.schemaVersion,
    sourceSystem: envelope.sourceSystem,
    partitionKey: envelope.partitionKey,
    payloadType: envelope.payloadType,
    traceparent: nonEmpty(envelope.traceContext?.traceparent),
    tracestate: nonEmpty(envelope.traceContext?.tracestate),
  };
}

/** Why a message's headers could not stand in for its envelope (a label of `decoded_total`). */
export const DecodeCause = {
  /** No `langtian-event-id` header: an older collector, or another publisher. */
  noHeaders: "no-event-headers",
  /** `langtian-event-id` is there but the rest is missing or malformed. */
  malformedHeaders: "malformed-event-headers",
} as const;
/** One of {@link DecodeCause}'s values. */
export type DecodeCause = (typeof DecodeCause)[keyof typeof DecodeCause];

/** Result of {@link metadataFromHeaders}. */
export type HeaderMetadata =
  | { readonly ok: true; readonly metadata: EventMetadata }
  | { readonly ok: false; readonly cause: DecodeCause; readonly detail: string };

const noHeaders: HeaderMetadata = { ok: false, cause: DecodeCause.noHeaders, detail: "" };

/**
 * The metadata from a message's NATS headers ({@link EventHeader}; the collector sets them on
 * every publish), so the bridge need not decode the envelope. `langtian-event-id` says the
 * publisher set the whole set: the headers it lacks are the envelope's unset fields. A
 * required header missing or empty, an empty partition key or a timestamp that is not
 * `YYYY-MM-DDTHH:MM:SS.mmmZ` makes the set malformed: the caller decodes the envelope instead,
 * so a bad header can never mis-key a record. Values are trusted otherwise: the collector
 * validated the envelope they come from.
 */
export function metadataFromHeaders(msg: { header(name: string): string | undefined }): HeaderMetadata {
  const eventId = msg.header(EventHeader.eventId);
  if (eventId === undefined) return noHeaders;
  const eventType = msg.header(EventHeader.eventType);
  const eventTimestampIso = msg.header(EventHeader.eventTimestamp);
  const schemaVersion = msg.header(EventHeader.schemaVersion);
  const sourceSystem = msg.header(EventHeader.sourceSystem);
  const payloadType = msg.header(EventHeader.payloadType);
  const partitionKey = msg.header(EventHeader.partitionKey);
  if (
    eventId === "" ||
    eventType === undefined ||
    eventType === "" ||
    eventTimestampIso === undefined ||
    schemaVersion === undefined ||
    schemaVersion === "" ||
    sourceSystem === undefined ||
    sourceSystem === "" ||
    payloadType === undefined ||
    payloadType === "" ||
    partitionKey === ""
  ) {
    return malformed(msg);
  }
  const eventMs = isoToMs(eventTimestampIso);
  if (eventMs === undefined) {
    return {
      ok: false,
      cause: DecodeCause.malformedHeaders,
      detail: `${EventHeader.eventTimestamp} ${JSON.stringify(eventTimestampIso.slice(0, 64))} is not YYYY-MM-DDTHH:MM:SS.mmmZ`,
    };
  }
  return {
    ok: true,
    metadata: {
      eventId,
      eventType,
      eventTimestampIso,
      eventMs,
      schemaVersion,
      sourceSystem,
      partitionKey,
      payloadType,
      traceparent: undefined,
      tracestate: undefined,
    },
  };
}

/** Names the header that broke the set (built only for a malformed set). */
function malformed(msg: { header(name: string): string | undefined }): HeaderMetadata {
  const required = [
    EventHeader.eventId,
    EventHeader.eventType,
    EventHeader.eventTimestamp,
    EventHeader.schemaVersion,
    EventHeader.sourceSystem,
    EventHeader.payloadType,
  ];
  const missing = required.filter((name) => !msg.header(name));
  const detail =
    missing.length > 0
      ? `missing or empty: ${missing.join(", ")}`
      : `${EventHeader.partitionKey} is empty (an unset key has no header)`;
  return { ok: false, cause: DecodeCause.malformedHeaders, detail };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}
