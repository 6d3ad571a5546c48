import type { Registry } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Envelope } from "@langtian/proto";
import { EnvelopeValidationError } from "./errors.ts";
import { defaultEnvelopeLimits, type EnvelopeLimits } from "./limits.ts";
import { uuidVersion } from "./uuid.ts";
import { type Violation, ViolationRule, type ViolationRuleName, valueHint } from "./violation.ts";

/** Options of {@link validateEnvelope}. */
export interface ValidateOptions {
  /** Overrides of {@link defaultEnvelopeLimits}. */
  limits?: Partial<EnvelopeLimits>;
  /** "Now" for the timestamp bounds, epoch milliseconds. Default `Date.now()`. */
  nowMs?: number;
  /** When given, a protobuf payload_type must name a message of this registry. */
  payloadRegistry?: Registry;
}

/** Lower-case dotted segments, each starting with a letter, at least two: "device.telemetry". */
const eventTypePattern = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const schemaVersionPattern = /^\d+\.\d+$/;
/** Fully-qualified protobuf message name, e.g. "langtian.device.v1.Telemetry". */
const messageNamePattern = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/;
/** A media type without parameters, e.g. "application/json". */
const mediaTypePattern = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
/** W3C traceparent, version 00 layout (later versions may append fields after a dash). */
const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point.
const controlCharacters = /[\u0000-\u001f\u007f]/;
/** google.protobuf.Timestamp's documented range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z. */
const minTimestampSeconds = -62_135_596_800n;
const maxTimestampSeconds = 253_402_300_799n;

/**
 * Checks an envelope against the platform's rules and returns every violation (empty when
 * valid), so a producer or a dead-letter record can show all problems at once. Pure: the
 * clock is only read when `nowMs` is not given.
 */
export function validateEnvelope(envelope: Envelope, options: ValidateOptions = {}): Violation[] {
  // The collector validates every datagram's envelope: no copy of the limits when none are overridden.
  const limits: EnvelopeLimits =
    options.limits === undefined ? defaultEnvelopeLimits : { ...defaultEnvelopeLimits, ...options.limits };
  const nowMs = options.nowMs ?? Date.now();
  const out: Violation[] = [];
  const add = (path: string, rule: ViolationRuleName, message: string) => out.push({ path, rule, message });

  checkEventId(envelope.eventId, limits, add);
  if (required("event_type", envelope.eventType, add)) {
    if (maxBytes("event_type", envelope.eventType, limits.maxEventTypeBytes, add)) {
      if (!eventTypePattern.test(envelope.eventType)) {
        add(
          "event_type",
          ViolationRule.eventType,
          `must be lower-case dotted segments (letters, digits, "_"; each starting with a letter; at least two), e.g. "device.telemetry"; got ${valueHint(envelope.eventType)}`,
        );
      }
    }
  }
  if (envelope.eventTimestamp === undefined) {
    add("event_timestamp", ViolationRule.required, "is required (when the event happened)");
  } else {
    checkTimestamp("event_timestamp", envelope.eventTimestamp, add, { nowMs, limits });
  }
  if (
    required("schema_version", envelope.schemaVersion, add) &&
    !schemaVersionPattern.test(envelope.schemaVersion)
  ) {
    add(
      "schema_version",
      ViolationRule.schemaVersion,
      `must be "MAJOR.MINOR" (digits only), e.g. "1.0"; got ${valueHint(envelope.schemaVersion)}`,
    );
  }
  if (required("source_system", envelope.sourceSystem, add)) {
    if (maxBytes("source_system", envelope.sourceSystem, limits.maxSourceSystemBytes, add)) {
      noControlCharacters("source_system", envelope.sourceSystem, add);
    }
  }
  if (envelope.partitionKey !== undefined) {
    if (envelope.partitionKey === "") {
      add("partition_key", ViolationRule.required, "must not be empty when set (leave it unset instead)");
    } else {
      maxBytes("partition_key", envelope.partitionKey, limits.maxPartitionKeyBytes, add);
    }
  }
  if (envelope.payload.byteLength > limits.maxPayloadBytes) {
    add(
      "payload",
      ViolationRule.maxBytes,
      `must be at most ${limits.maxPayloadBytes} bytes; got ${envelope.payload.byteLength} bytes`,
    );
  }
  checkPayloadType(envelope.payloadType, limits, options.payloadRegistry, add);
  checkAttributes(envelope.attributes, limits, add);
  if (envelope.traceContext !== undefined) checkTraceContext(envelope.traceContext.traceparent, add);
  if (envelope.receivedTimestamp !== undefined) {
    // No range check: the platform itself stamps it, and replays legitimately carry old ones.
    checkTimestamp("received_timestamp", envelope.receivedTimestamp, add);
  }
  return out;
}

/** Like {@link validateEnvelope}, but throws {@link EnvelopeValidationError} listing every violation. */
export function assertValidEnvelope(envelope: Envelope, options: ValidateOptions = {}): void {
  const violations = validateEnvelope(envelope, options);
  if (violations.length > 0) throw new EnvelopeValidationError(violations);
}

type Add = (path: string, rule: ViolationRuleName, message: string) => void;

function required(path: string, value: string, add: Add): boolean {
  if (value !== "") return true;
  add(path, ViolationRule.required, "is required");
  return false;
}

function maxBytes(path: string, value: string, limit: number, add: Add): boolean {
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes <= limit) return true;
  add(
    path,
    ViolationRule.maxBytes,
    `must be at most ${limit} bytes (UTF-8); got ${bytes}: ${valueHint(value)}`,
  );
  return false;
}

function noControlCharacters(path: string, value: string, add: Add): void {
  if (controlCharacters.test(value)) {
    add(
      path,
      ViolationRule.controlCharacters,
      `must not contain control characters; got ${valueHint(value)}`,
    );
  }
}

function checkEventId(eventId: string, limits: EnvelopeLimits, add: Add): void {
  if (!required("event_id", eventId, add)) return;
  const version = uuidVersion(eventId);
  if (version !== undefined && limits.acceptedUuidVersions.includes(version)) return;
  const accepted = `accepted versions: ${limits.acceptedUuidVersions.join(", ")}; 7 preferred`;
  if (version === undefined) {
    const hint = uuidVersion(eventId.toLowerCase()) !== undefined ? " (use lower case)" : "";
    add(
      "event_id",
      ViolationRule.uuid,
      `must be a canonical lower-case UUID string like "0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f20" (${accepted})${hint}; got ${valueHint(eventId)}`,
    );
  } else {
    add(
      "event_id",
      ViolationRule.uuidVersion,
      `is a UUIDv${version} (${accepted}); got ${valueHint(eventId)}`,
    );
  }
}

function checkTimestamp(
  path: string,
  ts: Timestamp,
  add: Add,
  range?: { nowMs: number; limits: EnvelopeLimits },
): void {
  if (
    ts.seconds < minTimestampSeconds ||
    ts.seconds > maxTimestampSeconds ||
    ts.nanos < 0 ||
    ts.nanos > 999_999_999
  ) {
    add(
      path,
      ViolationRule.timestampInvalid,
      `must have seconds within years 0001..9999 and nanos within 0..999999999; got seconds=${ts.seconds} nanos=${ts.nanos}`,
    );
    return;
  }
  if (range === undefined) return;
  const ms = Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1_000_000);
  // Messages are built only for a violation: the happy path runs once per datagram.
  const iso = () => new Date(ms).toISOString();
  const now = () => new Date(range.nowMs).toISOString();
  if (ms > range.nowMs + range.limits.maxFutureSkewMs) {
    add(
      path,
      ViolationRule.timestampRange,
      `must be at most ${range.limits.maxFutureSkewMs} ms after now (${now()}); got ${iso()} (device clock wrong?)`,
    );
  } else if (ms < range.nowMs - range.limits.maxPastAgeMs) {
    add(
      path,
      ViolationRule.timestampRange,
      `must be at most ${range.limits.maxPastAgeMs} ms before now (${now()}); got ${iso()}`,
    );
  }
}

function checkPayloadType(
  payloadType: string,
  limits: EnvelopeLimits,
  registry: Registry | undefined,
  add: Add,
) {
  if (!required("payload_type", payloadType, add)) return;
  if (!maxBytes("payload_type", payloadType, limits.maxPayloadTypeBytes, add)) return;
  if (mediaTypePattern.test(payloadType)) return;
  if (!messageNamePattern.test(payloadType)) {
    add(
      "payload_type",
      ViolationRule.payloadType,
      `must be a fully-qualified protobuf message name like "langtian.device.v1.Telemetry" or a media type like "application/json"; got ${valueHint(payloadType)}`,
    );
  } else if (registry !== undefined && registry.getMessage(payloadType) === undefined) {
    add(
      "payload_type",
      ViolationRule.unknownPayloadType,
      `names no message of the payload registry (regenerate or register it); got ${valueHint(payloadType)}`,
    );
  }
}

function checkAttributes(attributes: Record<string, string>, limits: EnvelopeLimits, add: Add): void {
  const keys = Object.keys(attributes);
  if (keys.length > limits.maxAttributes) {
    add(
      "attributes",
      ViolationRule.maxCount,
      `must have at most ${limits.maxAttributes} entries; got ${keys.length}`,
    );
  }
  for (const key of keys) {
    const path = `attributes[${valueHint(key)}]`;
    if (key === "") add(path, ViolationRule.required, "key must not be empty");
    else if (maxBytes(`${path} key`, key, limits.maxAttributeKeyBytes, add))
      noControlCharacters(`${path} key`, key, add);
    maxBytes(path, attributes[key] ?? "", limits.maxAttributeValueBytes, add);
  }
}

function checkTraceContext(traceparent: string, add: Add): void {
  const path = "trace_context.traceparent";
  if (!required(path, traceparent, add)) return;
  const match = traceparentPattern.exec(traceparent);
  const version = match?.[1];
  const traceId = match?.[2];
  const parentId = match?.[3];
  const valid =
    match !== null &&
    version !== "ff" &&
    (version !== "00" || match[5] === undefined) &&
    traceId !== "0".repeat(32) &&
    parentId !== "0".repeat(16);
  if (!valid) {
    add(
      path,
      ViolationRule.traceparent,
      `must be a W3C traceparent "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>" with non-zero ids; got ${valueHint(traceparent)}`,
    );
  }
}
