import { ErrorCode, LangtianError } from "@langtian/errors";
import type { Violation } from "./violation.ts";

/** Thrown by {@link assertValidEnvelope} and `createEnvelope`: lists every violation found. */
export class EnvelopeValidationError extends LangtianError {
  override readonly code = ErrorCode.invalidArgument;
  override name = "EnvelopeValidationError";
  /** Every rule the envelope broke, in field order. */
  readonly violations: readonly Violation[];
  constructor(violations: readonly Violation[], options?: ErrorOptions) {
    const lines = violations.map((v) => `  - ${v.path}: ${v.message} [${v.rule}]`);
    super(`invalid envelope (${violations.length} violation(s)):\n${lines.join("\n")}`, options);
    this.violations = violations;
  }
}

/** Thrown when bytes are not a decodable Envelope (truncated, corrupt, not protobuf). */
export class EnvelopeDecodeError extends LangtianError {
  override readonly code = ErrorCode.invalidArgument;
  override name = "EnvelopeDecodeError";
}

/** Thrown when an envelope's payload_type is not in the payload registry used to decode it. */
export class UnknownPayloadTypeError extends LangtianError {
  override readonly code = ErrorCode.invalidArgument;
  override name = "UnknownPayloadTypeError";
  /** The payload_type that was looked up. */
  readonly payloadType: string;
  constructor(payloadType: string, options?: ErrorOptions) {
    super(
      `unknown payload_type ${JSON.stringify(payloadType)}: not a message of the payload registry`,
      options,
    );
    this.payloadType = payloadType;
  }
}

/** Thrown when the payload's payload_type is not the message type the caller expected. */
export class PayloadTypeMismatchError extends LangtianError {
  override readonly code = ErrorCode.invalidArgument;
  override name = "PayloadTypeMismatchError";
}

/** Thrown when payload bytes (or payload JSON) cannot be decoded as their payload_type. */
export class PayloadDecodeError extends LangtianError {
  override readonly code = ErrorCode.invalidArgument;
  override name = "PayloadDecodeError";
}

/** Thrown when the inputs of a deterministic event id are unusable (empty, NUL characters, ...). */
export class EventIdInputError extends LangtianError {
  override readonly code = ErrorCode.invalidArgument;
  override name = "EventIdInputError";
}
