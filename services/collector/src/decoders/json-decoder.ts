import { type DecodedEvent, DecodeError, type Decoder } from "./decoder.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const SEQUENCE = /^(0|[1-9][0-9]{0,19})$/;

/**
 * One JSON object per datagram. The whole object becomes the payload (`application/json`);
 * these optional fields are lifted into the envelope:
 * `device_id` (string), `seq` (non-negative integer or decimal string), `ts` (epoch
 * milliseconds or an ISO-8601 string), `type` (event type), `schema_version` (string).
 */
export function createJsonDecoder(): Decoder {
  return {
    name: "json",
    decode(datagram: Uint8Array): DecodedEvent {
      let value: unknown;
      try {
        value = JSON.parse(utf8.decode(datagram));
      } catch (cause) {
        throw new DecodeError("malformed_json", `not valid UTF-8 JSON: ${String(cause)}`, { cause });
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new DecodeError("not_an_object", "the datagram must hold one JSON object");
      }
      const o = value as Record<string, unknown>;
      const deviceId = optionalString(o, "device_id");
      const eventType = optionalString(o, "type");
      const schemaVersion = optionalString(o, "schema_version");
      const sequence = parseSequence(o.seq);
      const eventTimeMs = parseTimestamp(o.ts);
      return {
        payload: datagram,
        payloadType: "application/json",
        ...(deviceId !== undefined && { deviceId }),
        ...(sequence !== undefined && { sequence }),
        ...(eventTimeMs !== undefined && { eventTimeMs }),
        ...(eventType !== undefined && { eventType }),
        ...(schemaVersion !== undefined && { schemaVersion }),
      };
    },
  };
}

function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.length === 0) {
    throw new DecodeError("invalid_field", `field "${key}" must be a non-empty string`);
  }
  return v;
}

function parseSequence(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === "string" && SEQUENCE.test(v) && BigInt(v) < 2n ** 64n) return v;
  throw new DecodeError("invalid_field", 'field "seq" must be a non-negative 64-bit integer');
}

function parseTimestamp(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === "number" ? v : typeof v === "string" ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new DecodeError("invalid_field", 'field "ts" must be epoch milliseconds or an ISO-8601 time');
  }
  return Math.trunc(ms);
}
