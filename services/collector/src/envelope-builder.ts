import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { deterministicEventId, uuidv7 } from "@langtian/envelope";
import { type Envelope, EnvelopeSchema, TraceContextSchema } from "@langtian/proto";
import type { DecodedEvent } from "./decoders/index.ts";

/** What a listener (or the push API) contributes to every envelope it builds. */
export interface EnvelopeDefaults {
  readonly eventType: string;
  readonly sourceSystem: string;
  readonly schemaVersion: string;
}

/**
 * Builds the envelope for a decoded event.
 * - `event_id`: the device's own id if it sent one; else a deterministic id from source,
 *   device id and sequence number (retransmits get the same id and deduplicate); else a UUIDv7.
 * - `event_timestamp`: the device clock when present, else the receive time.
 * - `partition_key`: the device id.
 * - `trace_context`: `traceparent` (the event's trace, see the collector's tracer) with the
 *   device's `tracestate`; none when `traceparent` is empty.
 */
export function buildEnvelope(
  event: DecodedEvent,
  defaults: EnvelopeDefaults,
  receivedAtMs: number,
  traceparent: string | undefined = event.traceparent,
): Envelope {
  const sourceSystem = event.sourceSystem ?? defaults.sourceSystem;
  const eventId =
    event.eventId ??
    (event.deviceId !== undefined && event.sequence !== undefined
      ? deterministicEventId(sourceSystem, event.deviceId, BigInt(event.sequence))
      : uuidv7());
  // A literal rather than create(): this runs once per datagram and create() walks the schema.
  const envelope: Envelope = {
    $typeName: EnvelopeSchema.typeName,
    eventId,
    eventType: event.eventType ?? defaults.eventType,
    eventTimestamp: msToTimestamp(event.eventTimeMs ?? receivedAtMs),
    schemaVersion: event.schemaVersion ?? defaults.schemaVersion,
    sourceSystem,
    payload: event.payload,
    payloadType: event.payloadType,
    attributes: { ...event.attributes },
    receivedTimestamp: msToTimestamp(receivedAtMs),
  };
  if (event.deviceId !== undefined) envelope.partitionKey = event.deviceId;
  if (traceparent !== undefined && traceparent !== "") {
    envelope.traceContext = {
      $typeName: TraceContextSchema.typeName,
      traceparent,
      tracestate: event.tracestate ?? "",
    };
  }
  return envelope;
}

/**
 * protobuf-es' `timestampFromMs` as a literal (its `create()` walks the schema; this runs
 * twice per datagram). A test compares the two.
 */
export function msToTimestamp(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return {
    $typeName: "google.protobuf.Timestamp",
    seconds: BigInt(seconds),
    nanos: (ms - seconds * 1000) * 1_000_000,
  };
}
