import { createRegistry, fromBinary, type JsonValue, toJson } from "@bufbuild/protobuf";
import {
  EnvelopeSchema,
  file_langtian_device_v1_alarm,
  file_langtian_device_v1_status,
  file_langtian_device_v1_telemetry,
} from "@langtian/proto";

/** The payload types the UI can decode (the device family, as the collector and lake writer know it). */
const payloadRegistry = createRegistry(
  file_langtian_device_v1_telemetry,
  file_langtian_device_v1_status,
  file_langtian_device_v1_alarm,
);

/** One way of reading a dead letter's bytes, and what came out (or why it did not). */
export interface DecodeAttempt {
  /** "Envelope (protobuf)", "UTF-8 text", "JSON". */
  readonly label: string;
  readonly ok: boolean;
  /** The decoded form (pretty JSON or text) when ok; the reason when not. */
  readonly text: string;
}

/**
 * Reads raw dead-letter bytes every way the platform writes them: as an envelope (protobuf, its
 * payload decoded too when its type is known), as UTF-8 text, and as JSON. Each attempt says
 * whether it worked, so an operator sees at once why a stage refused the bytes.
 */
export function decodeRaw(raw: Uint8Array): DecodeAttempt[] {
  return [decodeEnvelope(raw), ...decodeText(raw)];
}

function decodeEnvelope(raw: Uint8Array): DecodeAttempt {
  const label = "Envelope (protobuf)";
  if (raw.length === 0) return { label, ok: false, text: "no bytes" };
  try {
    const envelope = fromBinary(EnvelopeSchema, raw);
    // Arbitrary bytes can parse as a sparse message; an envelope always names its event and type.
    if (envelope.eventId === "" || envelope.eventType === "")
      return { label, ok: false, text: "not an envelope: no event_id or event_type" };
    const json = toJson(EnvelopeSchema, envelope, { registry: payloadRegistry }) as Record<string, JsonValue>;
    const schema = payloadRegistry.getMessage(envelope.payloadType);
    if (schema !== undefined) {
      try {
        json.payload = toJson(schema, fromBinary(schema, envelope.payload), { registry: payloadRegistry });
      } catch (err) {
        json.payloadError = `cannot decode payload as ${schema.typeName}: ${message(err)}`;
      }
    }
    return { label, ok: true, text: JSON.stringify(json, null, 2) };
  } catch (err) {
    return { label, ok: false, text: message(err) };
  }
}

function decodeText(raw: Uint8Array): DecodeAttempt[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    return [{ label: "UTF-8 text", ok: false, text: "not valid UTF-8" }];
  }
  const attempts: DecodeAttempt[] = [{ label: "UTF-8 text", ok: true, text }];
  try {
    attempts.push({ label: "JSON", ok: true, text: JSON.stringify(JSON.parse(text), null, 2) });
  } catch (err) {
    attempts.push({ label: "JSON", ok: false, text: message(err) });
  }
  return attempts;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
