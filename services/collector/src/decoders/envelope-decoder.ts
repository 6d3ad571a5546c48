import { fromBinary } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { EnvelopeSchema } from "@langtian/proto";
import { type DecodedEvent, DecodeError, type Decoder } from "./decoder.ts";

/**
 * A whole protobuf `Envelope` sent by a smart device. Its fields are kept; the collector
 * only fills what the device left empty (id, timestamp, source) and validates the result.
 */
export function createEnvelopeDecoder(): Decoder {
  return {
    name: "envelope",
    decode(datagram: Uint8Array): DecodedEvent {
      let env: ReturnType<typeof fromBinary<typeof EnvelopeSchema>>;
      try {
        env = fromBinary(EnvelopeSchema, datagram);
      } catch (cause) {
        throw new DecodeError("malformed_protobuf", `not a protobuf Envelope: ${String(cause)}`, { cause });
      }
      if (env.payloadType === "") throw new DecodeError("invalid_envelope", "envelope has no payload_type");
      return {
        payload: env.payload,
        payloadType: env.payloadType,
        ...(env.partitionKey !== undefined && env.partitionKey !== "" && { deviceId: env.partitionKey }),
        ...(env.eventTimestamp !== undefined && { eventTimeMs: timestampMs(env.eventTimestamp) }),
        ...(env.eventType !== "" && { eventType: env.eventType }),
        ...(env.schemaVersion !== "" && { schemaVersion: env.schemaVersion }),
        ...(env.sourceSystem !== "" && { sourceSystem: env.sourceSystem }),
        ...(env.eventId !== "" && { eventId: env.eventId }),
        ...(Object.keys(env.attributes).length > 0 && { attributes: env.attributes }),
        ...(env.traceContext !== undefined && {
          traceparent: env.traceContext.traceparent,
          tracestate: env.traceContext.tracestate,
        }),
      };
    },
  };
}
