import {
  create,
  createRegistry,
  type DescMessage,
  fromBinary,
  fromJson,
  type JsonObject,
  type JsonValue,
  type Message,
  type MessageInitShape,
  type MessageShape,
  type Registry,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import {
  type Envelope,
  EnvelopeSchema,
  file_langtian_device_v1_alarm,
  file_langtian_device_v1_status,
  file_langtian_device_v1_telemetry,
} from "@langtian/proto";
import {
  EnvelopeDecodeError,
  PayloadDecodeError,
  PayloadTypeMismatchError,
  UnknownPayloadTypeError,
} from "./errors.ts";

/** Every payload message of the device event family (langtian.device.v1), by full name. */
export const devicePayloadRegistry: Registry = createRegistry(
  file_langtian_device_v1_telemetry,
  file_langtian_device_v1_status,
  file_langtian_device_v1_alarm,
);

/**
 * A payload registry with the device family plus more generated files or messages, e.g.
 * `createPayloadRegistry(file_langtian_collector_v1_x)` when a service adds its own events.
 */
export function createPayloadRegistry(...more: Parameters<typeof createRegistry>): Registry {
  return createRegistry(devicePayloadRegistry, ...more);
}

/** The message schema that payload_type names, or {@link UnknownPayloadTypeError}. */
export function payloadSchemaOf(
  payloadType: string,
  registry: Registry = devicePayloadRegistry,
): DescMessage {
  const schema = registry.getMessage(payloadType);
  if (schema === undefined) throw new UnknownPayloadTypeError(payloadType);
  return schema;
}

/**
 * Decodes an envelope's payload with the message type its payload_type names, without the
 * caller knowing the type in advance (generic consumers: lake writer, admin UI, dead-letter
 * inspection). Throws {@link UnknownPayloadTypeError} or {@link PayloadDecodeError}.
 */
export function decodePayload(envelope: Envelope, registry: Registry = devicePayloadRegistry): Message {
  return decodeWith(payloadSchemaOf(envelope.payloadType, registry), envelope);
}

/**
 * Decodes an envelope's payload as the given message type, after checking that payload_type
 * names exactly that type (else {@link PayloadTypeMismatchError}).
 */
export function decodePayloadAs<Desc extends DescMessage>(
  envelope: Envelope,
  schema: Desc,
): MessageShape<Desc> {
  if (envelope.payloadType !== schema.typeName) {
    throw new PayloadTypeMismatchError(
      `payload_type is ${JSON.stringify(envelope.payloadType)}, expected ${JSON.stringify(schema.typeName)}`,
    );
  }
  return decodeWith(schema, envelope);
}

function decodeWith<Desc extends DescMessage>(schema: Desc, envelope: Envelope): MessageShape<Desc> {
  try {
    return fromBinary(schema, envelope.payload);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new PayloadDecodeError(
      `cannot decode payload of event ${envelope.eventId} as ${schema.typeName} (${envelope.payload.byteLength} bytes): ${reason}`,
      { cause: err },
    );
  }
}

/**
 * The envelope as proto JSON (camelCase field names, RFC 3339 timestamps), except that
 * `payload` holds the payload message's own proto JSON when payload_type is in the
 * registry (readable in logs, the admin UI and dead-letter files); otherwise it stays base64.
 * {@link envelopeFromJson} reverses it.
 */
export function envelopeToJson(envelope: Envelope, registry: Registry = devicePayloadRegistry): JsonObject {
  const json = toJson(EnvelopeSchema, envelope, { registry }) as JsonObject;
  const schema = registry.getMessage(envelope.payloadType);
  if (schema !== undefined) json.payload = toJson(schema, decodeWith(schema, envelope), { registry });
  return json;
}

/**
 * Parses what {@link envelopeToJson} writes (or plain proto JSON with a base64 payload). A
 * JSON-object payload is encoded with the message type that payload_type names. Throws
 * {@link EnvelopeDecodeError}, {@link UnknownPayloadTypeError} or {@link PayloadDecodeError}.
 */
export function envelopeFromJson(json: JsonValue, registry: Registry = devicePayloadRegistry): Envelope {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new EnvelopeDecodeError("envelope JSON must be an object");
  }
  const { payload, ...rest } = json;
  let envelope: Envelope;
  try {
    envelope = fromJson(EnvelopeSchema, typeof payload === "string" ? json : rest, { registry });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new EnvelopeDecodeError(`cannot parse envelope JSON: ${reason}`, { cause: err });
  }
  if (payload !== undefined && typeof payload !== "string") {
    const schema = payloadSchemaOf(envelope.payloadType, registry);
    try {
      envelope.payload = toBinary(schema, fromJson(schema, payload, { registry }));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new PayloadDecodeError(`cannot parse payload JSON as ${schema.typeName}: ${reason}`, {
        cause: err,
      });
    }
  }
  return envelope;
}

/** Encodes a payload message (or its init object) of the given type to bytes. */
export function encodePayload<Desc extends DescMessage>(
  schema: Desc,
  payload: MessageInitShape<Desc>,
): Uint8Array {
  return toBinary(schema, create(schema, payload));
}
