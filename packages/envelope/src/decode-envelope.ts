import type { UnknownField } from "@bufbuild/protobuf";
import { BinaryReader, type WireType } from "@bufbuild/protobuf/wire";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Envelope, TraceContext } from "@langtian/proto";
import { EnvelopeDecodeError } from "./errors.ts";

/**
 * Decodes protobuf binary into an envelope: the platform's one envelope decoder, used by every
 * reader (the bridge's fallback, the lake writer's routing, tests). It gives exactly what
 * protobuf-es' `fromBinary(EnvelopeSchema, bytes)` gives, field for field — last value wins,
 * repeated message fields merge, map entries default missing keys and values, strict UTF-8,
 * unknown fields (from a newer MINOR schema) kept in `$unknown` so `encodeEnvelope` writes them
 * back — but reads the wire directly with protobuf-es' `BinaryReader`, about 4× cheaper than
 * the generic reflective decoder, because the bridge and the lake writer decode every record.
 * Throws {@link EnvelopeDecodeError} (the parser's error as `cause`) so callers can count and
 * dead-letter bad input by error name. Decoding does not validate: call `validateEnvelope` for
 * the platform's rules. Strings repeated from one envelope to the next (event type, schema
 * version, source system, payload type) are shared between results, not decoded again.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  try {
    return decodeEnvelopeFields(new BinaryReader(bytes), bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new EnvelopeDecodeError(`cannot decode an Envelope from ${bytes.byteLength} bytes: ${reason}`, {
      cause: err,
    });
  }
}

// Group nesting budgets of `fromBinary` (recursion limit 100 minus the depth of the message
// being read: 1 for the envelope and its map entries, 2 for its nested messages), so an
// unknown, deeply nested group is refused exactly where it refuses it.
const TOP_LEVEL_SKIP_DEPTH = 99;
const NESTED_SKIP_DEPTH = 98;

/** Skips an unknown field and keeps its bytes on `message`, as `fromBinary` does. */
function keepUnknown(
  message: { $unknown?: UnknownField[] | undefined },
  reader: BinaryReader,
  wireType: WireType,
  fieldNo: number,
  depth: number,
): void {
  const data = reader.skip(wireType, fieldNo, depth);
  const unknown = message.$unknown ?? [];
  unknown.push({ no: fieldNo, wireType, data });
  message.$unknown = unknown;
}

function decodeEnvelopeFields(reader: BinaryReader, bytes: Uint8Array): Envelope {
  const envelope: Envelope = {
    $typeName: "langtian.envelope.v1.Envelope",
    eventId: "",
    eventType: "",
    schemaVersion: "",
    sourceSystem: "",
    payload: new Uint8Array(0),
    payloadType: "",
    attributes: {},
  };
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    switch (fieldNo) {
      case 1:
        envelope.eventId = reader.string(true);
        break;
      case 2:
        envelope.eventType = readRepeatedString(reader, bytes, memos.eventType);
        break;
      case 3:
        envelope.eventTimestamp = readTimestamp(reader, envelope.eventTimestamp);
        break;
      case 4:
        envelope.schemaVersion = readRepeatedString(reader, bytes, memos.schemaVersion);
        break;
      case 5:
        envelope.sourceSystem = readRepeatedString(reader, bytes, memos.sourceSystem);
        break;
      case 6:
        envelope.partitionKey = reader.string(true);
        break;
      case 7:
        envelope.payload = reader.bytes();
        break;
      case 8:
        envelope.payloadType = readRepeatedString(reader, bytes, memos.payloadType);
        break;
      case 9:
        readAttribute(reader, envelope.attributes);
        break;
      case 10:
        envelope.traceContext = readTraceContext(reader, envelope.traceContext);
        break;
      case 11:
        envelope.receivedTimestamp = readTimestamp(reader, envelope.receivedTimestamp);
        break;
      default:
        keepUnknown(envelope, reader, wireType, fieldNo, TOP_LEVEL_SKIP_DEPTH);
    }
  }
  return envelope;
}

/** The last value of a string field and its UTF-8 bytes. */
interface StringMemo {
  bytes: Uint8Array;
  value: string;
}

/**
 * Memos of the fields that repeat from one envelope to the next: an unchanged value is
 * compared, not decoded, and every row shares one string instead of allocating its own.
 */
const memos = {
  eventType: { bytes: new Uint8Array(0), value: "" },
  schemaVersion: { bytes: new Uint8Array(0), value: "" },
  sourceSystem: { bytes: new Uint8Array(0), value: "" },
  payloadType: { bytes: new Uint8Array(0), value: "" },
} satisfies Record<string, StringMemo>;

function readRepeatedString(reader: BinaryReader, bytes: Uint8Array, memo: StringMemo): string {
  const start = reader.pos;
  const length = reader.uint32();
  const from = reader.pos;
  if (length === memo.bytes.length && from + length <= bytes.length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (bytes[from + i] !== memo.bytes[i]) {
        same = false;
        break;
      }
    }
    if (same) {
      reader.pos = from + length;
      return memo.value;
    }
  }
  reader.pos = start;
  const value = reader.string(true);
  // A copy: keeping a view would keep the whole fetched buffer alive.
  memo.bytes = bytes.slice(from, from + length);
  memo.value = value;
  return value;
}

/** Reads a length-delimited message body, field by field, until its end. */
function readBody(reader: BinaryReader, field: (fieldNo: number, wireType: WireType) => void): void {
  const length = reader.uint32();
  // After the length: the body starts where its varint ends.
  const end = reader.pos + length;
  while (reader.pos < end) {
    const [fieldNo, wireType] = reader.tag();
    field(fieldNo, wireType);
  }
}

function readTimestamp(reader: BinaryReader, into: Timestamp | undefined): Timestamp {
  const ts: Timestamp = into ?? { $typeName: "google.protobuf.Timestamp", seconds: 0n, nanos: 0 };
  readBody(reader, (fieldNo, wireType) => {
    // A bigint wherever BigInt exists (Node always); the string form is for old browsers.
    if (fieldNo === 1) ts.seconds = reader.int64() as bigint;
    else if (fieldNo === 2) ts.nanos = reader.int32();
    else keepUnknown(ts, reader, wireType, fieldNo, NESTED_SKIP_DEPTH);
  });
  return ts;
}

function readTraceContext(reader: BinaryReader, into: TraceContext | undefined): TraceContext {
  const trace: TraceContext = into ?? {
    $typeName: "langtian.envelope.v1.TraceContext",
    traceparent: "",
    tracestate: "",
  };
  readBody(reader, (fieldNo, wireType) => {
    if (fieldNo === 1) trace.traceparent = reader.string(true);
    else if (fieldNo === 2) trace.tracestate = reader.string(true);
    else keepUnknown(trace, reader, wireType, fieldNo, NESTED_SKIP_DEPTH);
  });
  return trace;
}

function readAttribute(reader: BinaryReader, attributes: Record<string, string>): void {
  let key = "";
  let value = "";
  readBody(reader, (fieldNo, wireType) => {
    if (fieldNo === 1) key = reader.string(true);
    else if (fieldNo === 2) value = reader.string(true);
    // fromBinary drops unknown fields of a map entry, within the envelope's budget.
    else reader.skip(wireType, fieldNo, TOP_LEVEL_SKIP_DEPTH);
  });
  // An own property even for "__proto__", as fromBinary does.
  Object.defineProperty(attributes, key, { value, enumerable: true, writable: true, configurable: true });
}
