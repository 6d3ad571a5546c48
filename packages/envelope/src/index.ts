/**
 * @langtian/envelope: the rules and helpers every service shares for the event envelope —
 * validation with every violation listed, event ids (UUIDv7, deterministic UUIDv5), building,
 * binary and JSON codecs, and a payload registry to decode payloads generically.
 */
export {
  type BytesPayload,
  createEnvelope,
  type EnvelopeFields,
  type MessagePayload,
} from "./create-envelope.ts";
export { decodeEnvelope } from "./decode-envelope.ts";
export {
  createDeviceEnvelope,
  type DeviceEnvelopeInit,
  DeviceEventType,
  type DevicePayload,
  deviceSchemaVersion,
} from "./device-events.ts";
export { encodeEnvelope } from "./encode-envelope.ts";
export {
  EnvelopeDecodeError,
  EnvelopeValidationError,
  EventIdInputError,
  PayloadDecodeError,
  PayloadTypeMismatchError,
  UnknownPayloadTypeError,
} from "./errors.ts";
export {
  EventHeader,
  type EventHeaderName,
  eventHeaderEntries,
  type HeaderEntry,
  isoToMs,
  timestampToIso,
  timestampToMs,
} from "./event-headers.ts";
export { defaultEnvelopeLimits, type EnvelopeLimits } from "./limits.ts";
export {
  createPayloadRegistry,
  decodePayload,
  decodePayloadAs,
  devicePayloadRegistry,
  encodePayload,
  envelopeFromJson,
  envelopeToJson,
  payloadSchemaOf,
} from "./payload-registry.ts";
export {
  createUuidV7Generator,
  deterministicEventId,
  eventIdNamespace,
  type UuidV7Generator,
  uuidVersion,
  uuidv7,
} from "./uuid.ts";
export { assertValidEnvelope, type ValidateOptions, validateEnvelope } from "./validate-envelope.ts";
export { type Violation, ViolationRule, type ViolationRuleName } from "./violation.ts";
export { WireType, WireWriter } from "./wire-writer.ts";
