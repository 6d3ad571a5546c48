import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { type Timestamp, timestampFromDate, timestampNow } from "@bufbuild/protobuf/wkt";
import { type Envelope, EnvelopeSchema, TraceContextSchema } from "@langtian/proto";
import { EnvelopeValidationError } from "./errors.ts";
import { encodePayload } from "./payload-registry.ts";
import { uuidv7 } from "./uuid.ts";
import { type ValidateOptions, validateEnvelope } from "./validate-envelope.ts";

/** Envelope metadata for {@link createEnvelope}. */
export interface EnvelopeFields {
  /** Dotted lower-case event type, e.g. "device.telemetry". */
  eventType: string;
  /** "MAJOR.MINOR" version of the payload schema, e.g. "1.0". */
  schemaVersion: string;
  /** Producing system or site, e.g. "plant-a/line-3". */
  sourceSystem: string;
  /** Default: a new `uuidv7()`. Pass `deterministicEventId(...)` for device messages. */
  eventId?: string;
  /** When the event happened. Default: now. */
  eventTime?: Date | Timestamp;
  /** Ordering key, usually the device id. */
  partitionKey?: string;
  attributes?: Record<string, string>;
  /** W3C trace context of the producer. */
  traceContext?: { traceparent: string; tracestate?: string };
  /** When the platform first received the event (the collector sets it). */
  receivedTime?: Date | Timestamp;
}

/** A protobuf payload: encoded with its schema, payload_type set to the message's full name. */
export interface MessagePayload<Desc extends DescMessage> {
  payloadSchema: Desc;
  payload: MessageInitShape<Desc>;
}

/** An already-encoded payload with an explicit payload_type (message name or media type). */
export interface BytesPayload {
  payloadType: string;
  payload: Uint8Array;
}

/**
 * Builds an envelope, fills defaults (event id, event time) and validates it, throwing
 * {@link EnvelopeValidationError} with every violation, so an invalid envelope never leaves
 * its producer. `options` are those of `validateEnvelope` (limits, clock, registry).
 */
export function createEnvelope<Desc extends DescMessage>(
  init: EnvelopeFields & (MessagePayload<Desc> | BytesPayload),
  options: ValidateOptions = {},
): Envelope {
  const isMessage = "payloadSchema" in init;
  const envelope = create(EnvelopeSchema, {
    eventId: init.eventId ?? uuidv7(),
    eventType: init.eventType,
    eventTimestamp: toTimestamp(init.eventTime) ?? timestampNow(),
    schemaVersion: init.schemaVersion,
    sourceSystem: init.sourceSystem,
    payload: isMessage ? encodePayload(init.payloadSchema, init.payload) : init.payload,
    payloadType: isMessage ? init.payloadSchema.typeName : init.payloadType,
    attributes: init.attributes ?? {},
  });
  if (init.partitionKey !== undefined) envelope.partitionKey = init.partitionKey;
  if (init.traceContext !== undefined) envelope.traceContext = create(TraceContextSchema, init.traceContext);
  const received = toTimestamp(init.receivedTime);
  if (received !== undefined) envelope.receivedTimestamp = received;
  const violations = validateEnvelope(envelope, options);
  if (violations.length > 0) throw new EnvelopeValidationError(violations);
  return envelope;
}

function toTimestamp(value: Date | Timestamp | undefined): Timestamp | undefined {
  return value instanceof Date ? timestampFromDate(value) : value;
}
