/**
 * Names of the envelope validation rules. Stable strings: metrics and dead-letter records
 * carry them, so renaming one is a breaking change for dashboards.
 */
export const ViolationRule = {
  /** A required field is empty or unset. */
  required: "required",
  /** event_id is not a canonical lower-case UUID string. */
  uuid: "uuid",
  /** event_id is a UUID of a version that is not accepted. */
  uuidVersion: "uuid_version",
  /** event_type does not follow the dotted lower-case grammar. */
  eventType: "event_type",
  /** schema_version is not "MAJOR.MINOR". */
  schemaVersion: "schema_version",
  /** A timestamp's seconds/nanos are outside what google.protobuf.Timestamp allows. */
  timestampInvalid: "timestamp_invalid",
  /** A timestamp is further in the future or the past than the configured bounds. */
  timestampRange: "timestamp_range",
  /** A string is longer (in UTF-8 bytes) than its limit. */
  maxBytes: "max_bytes",
  /** A string contains control characters. */
  controlCharacters: "control_characters",
  /** attributes has more entries than allowed. */
  maxCount: "max_count",
  /** payload_type is neither a protobuf message name nor a media type. */
  payloadType: "payload_type",
  /** payload_type names a protobuf message that the given registry does not know. */
  unknownPayloadType: "unknown_payload_type",
  /** trace_context.traceparent is not a valid W3C traceparent. */
  traceparent: "traceparent",
} as const;

/** One of the {@link ViolationRule} names. */
export type ViolationRuleName = (typeof ViolationRule)[keyof typeof ViolationRule];

/** One broken rule: where, which rule, and a message that quotes (a prefix of) the bad value. */
export interface Violation {
  /** Proto field path, e.g. `event_id`, `attributes["site"]`, `trace_context.traceparent`. */
  readonly path: string;
  /** The rule that was broken. */
  readonly rule: ViolationRuleName;
  /** What is wrong and what is expected, with a hint of the offending value. */
  readonly message: string;
}

const hintChars = 40;

/** Quotes a value for an error message, truncated so huge or hostile input stays readable. */
export function valueHint(value: string): string {
  if (value.length <= hintChars) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, hintChars))}… (${value.length} chars)`;
}
