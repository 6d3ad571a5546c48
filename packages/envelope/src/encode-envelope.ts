import { toBinary } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { type Envelope, EnvelopeSchema, type TraceContext } from "@langtian/proto";
import { WireType, WireWriter } from "./wire-writer.ts";

const writer = new WireWriter();
const LEN = WireType.LengthDelimited;

/**
 * Encodes an envelope to protobuf binary (what travels on NATS and Kafka): the same bytes as
 * protobuf-es' `toBinary`, written by a hand-made encoder because every event goes through
 * here (see `wire-writer.ts`). Envelopes it does not handle (unknown fields, negative or
 * out-of-range timestamps) take `toBinary` itself. Like Node's pooled Buffers, the result may
 * be a view into a shared ArrayBuffer: copy it before transferring its `.buffer` to a worker.
 * Unknown fields kept by `decodeEnvelope` are written back (through `toBinary`).
 */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  if (!fastPathFits(envelope)) return toBinary(EnvelopeSchema, envelope);
  const w = writer.reset();
  // Fields in number order, zero values of implicit-presence fields left out (like toBinary).
  if (envelope.eventId !== "") w.tag(1, LEN).string(envelope.eventId);
  if (envelope.eventType !== "") w.tag(2, LEN).string(envelope.eventType);
  if (envelope.eventTimestamp !== undefined) timestamp(w, 3, envelope.eventTimestamp);
  if (envelope.schemaVersion !== "") w.tag(4, LEN).string(envelope.schemaVersion);
  if (envelope.sourceSystem !== "") w.tag(5, LEN).string(envelope.sourceSystem);
  if (envelope.partitionKey !== undefined && Object.hasOwn(envelope, "partitionKey"))
    w.tag(6, LEN).string(envelope.partitionKey);
  if (envelope.payload.length > 0) w.tag(7, LEN).bytes(envelope.payload);
  if (envelope.payloadType !== "") w.tag(8, LEN).string(envelope.payloadType);
  const attributes = envelope.attributes;
  for (const key of Object.keys(attributes)) {
    w.tag(9, LEN);
    const entry = w.beginNested();
    w.tag(1, LEN).string(key);
    w.tag(2, LEN).string(attributes[key] as string);
    w.endNested(entry);
  }
  if (envelope.traceContext !== undefined) {
    w.tag(10, LEN);
    const start = w.beginNested();
    if (envelope.traceContext.traceparent !== "") w.tag(1, LEN).string(envelope.traceContext.traceparent);
    if (envelope.traceContext.tracestate !== "") w.tag(2, LEN).string(envelope.traceContext.tracestate);
    w.endNested(start);
  }
  if (envelope.receivedTimestamp !== undefined) timestamp(w, 11, envelope.receivedTimestamp);
  return w.finish();
}

function timestamp(w: WireWriter, fieldNo: number, t: Timestamp): void {
  w.tag(fieldNo, LEN);
  const start = w.beginNested();
  if (t.seconds !== 0n) w.tag(1, WireType.Varint).uint(Number(t.seconds));
  if (t.nanos !== 0) w.tag(2, WireType.Varint).uint(t.nanos);
  w.endNested(start);
}

// What the hand-made encoder covers: typed strings, no unknown fields anywhere, timestamps
// with non-negative seconds below 2^53 and non-negative nanos. Anything else: toBinary.
function fastPathFits(e: Envelope): boolean {
  return (
    e.$typeName === EnvelopeSchema.typeName &&
    e.$unknown === undefined &&
    typeof e.eventId === "string" &&
    typeof e.eventType === "string" &&
    typeof e.schemaVersion === "string" &&
    typeof e.sourceSystem === "string" &&
    (e.partitionKey === undefined || typeof e.partitionKey === "string") &&
    e.payload instanceof Uint8Array &&
    typeof e.payloadType === "string" &&
    stringMap(e.attributes) &&
    (e.traceContext === undefined || traceContextFits(e.traceContext)) &&
    (e.eventTimestamp === undefined || timestampFits(e.eventTimestamp)) &&
    (e.receivedTimestamp === undefined || timestampFits(e.receivedTimestamp))
  );
}

function stringMap(map: { [key: string]: string }): boolean {
  if (typeof map !== "object" || map === null) return false;
  for (const key in map) if (typeof map[key] !== "string") return false;
  return true;
}

function traceContextFits(t: TraceContext): boolean {
  return t.$unknown === undefined && typeof t.traceparent === "string" && typeof t.tracestate === "string";
}

function timestampFits(t: Timestamp): boolean {
  return (
    t.$unknown === undefined &&
    typeof t.seconds === "bigint" &&
    t.seconds >= 0n &&
    t.seconds <= 0x1f_ffff_ffff_ffffn &&
    Number.isInteger(t.nanos) &&
    t.nanos >= 0 &&
    t.nanos <= 0x7fff_ffff
  );
}
