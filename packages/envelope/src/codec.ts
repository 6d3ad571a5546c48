import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Envelope, EnvelopeSchema } from "@langtian/proto";
import { EnvelopeDecodeError } from "./errors.ts";

/** Encodes an envelope to protobuf binary (what travels on NATS and Kafka). */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return toBinary(EnvelopeSchema, envelope);
}

/**
 * Decodes protobuf binary into an envelope, or throws {@link EnvelopeDecodeError} (with the
 * parser's error as `cause`) so callers can count and dead-letter bad input by error name.
 * Unknown fields (from a newer MINOR schema) are kept and written back by `encodeEnvelope`.
 * Decoding does not validate: call `validateEnvelope` for the platform's rules.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  try {
    return fromBinary(EnvelopeSchema, bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new EnvelopeDecodeError(`cannot decode an Envelope from ${bytes.byteLength} bytes: ${reason}`, {
      cause: err,
    });
  }
}
