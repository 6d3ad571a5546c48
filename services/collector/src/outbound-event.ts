import { eventHeaderEntries } from "@langtian/envelope";
import { ErrorCode, LangtianError } from "@langtian/errors";
import type { Envelope } from "@langtian/proto";

/** One encoded envelope on its way to JetStream (or into the spool). */
export interface OutboundEvent {
  readonly subject: string;
  /** The envelope's event_id, sent as `Nats-Msg-Id` so the stream deduplicates resends. */
  readonly msgId: string;
  /** The protobuf-encoded envelope. */
  readonly data: Uint8Array;
  /** When the collector received it (for the receive → PubAck latency histogram). */
  readonly receivedAtMs: number;
  /**
   * The event's metadata as NATS header lines (`name: value\r\n` each, from
   * {@link eventHeaderLines}), published beside `Nats-Msg-Id` so the bridge need not decode
   * the envelope. Absent when a value cannot travel in a header, and for events spooled by
   * an older collector: those are published with `Nats-Msg-Id` only and the bridge decodes them.
   */
  readonly eventHeaderLines?: string;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * First byte of a spool record that carries header lines. The older layout starts with the
 * big-endian f64 `receivedAtMs`, whose first byte is never 0xff (that is a negative NaN or
 * -Infinity), so records of both layouts can share a spool and older ones replay unchanged.
 */
const WITH_HEADERS = 0xff;
const WITH_HEADERS_VERSION = 1;

/**
 * Spool record body: `[f64 receivedAtMs][u16 subject length][subject][u16 id length][id][data]`
 * (big-endian), preceded by `[0xff][u8 1][u32 header lines length][header lines]` when the
 * event has header lines. Kept next to the type so the format has one definition. A spool
 * holding records with header lines is readable by this version and later ones only.
 */
export function encodeOutboundEvent(e: OutboundEvent): Uint8Array {
  const subject = utf8.encode(e.subject);
  const id = utf8.encode(e.msgId);
  const lines = e.eventHeaderLines === undefined ? undefined : utf8.encode(e.eventHeaderLines);
  const prefix = lines === undefined ? 0 : 2 + 4 + lines.length;
  const out = Buffer.allocUnsafe(prefix + 8 + 2 + subject.length + 2 + id.length + e.data.length);
  let o = 0;
  if (lines !== undefined) {
    o = out.writeUInt8(WITH_HEADERS, o);
    o = out.writeUInt8(WITH_HEADERS_VERSION, o);
    o = out.writeUInt32BE(lines.length, o);
    out.set(lines, o);
    o += lines.length;
  }
  o = out.writeDoubleBE(e.receivedAtMs, o);
  o = out.writeUInt16BE(subject.length, o);
  out.set(subject, o);
  o = out.writeUInt16BE(id.length, o + subject.length);
  out.set(id, o);
  out.set(e.data, o + id.length);
  return out;
}

/** A spool record this collector cannot read (written by a newer one). */
export class SpoolRecordFormatError extends LangtianError {
  override readonly code = ErrorCode.dataLoss;
  override readonly name = "SpoolRecordFormatError";
}

/** Inverse of {@link encodeOutboundEvent}; reads both layouts. */
export function decodeOutboundEvent(body: Uint8Array): OutboundEvent {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let o = 0;
  let eventHeaderLines: string | undefined;
  if (b[0] === WITH_HEADERS) {
    if (b[1] !== WITH_HEADERS_VERSION) {
      throw new SpoolRecordFormatError(`spool record layout ${b[1]} is newer than this collector`);
    }
    const length = b.readUInt32BE(2);
    eventHeaderLines = fromUtf8.decode(b.subarray(6, 6 + length));
    o = 6 + length;
  }
  const receivedAtMs = b.readDoubleBE(o);
  o += 8;
  const subjectLength = b.readUInt16BE(o);
  o += 2;
  const subject = fromUtf8.decode(b.subarray(o, o + subjectLength));
  o += subjectLength;
  const idLength = b.readUInt16BE(o);
  o += 2;
  const msgId = fromUtf8.decode(b.subarray(o, o + idLength));
  o += idLength;
  const event = { subject, msgId, data: b.subarray(o), receivedAtMs };
  return eventHeaderLines === undefined ? event : { ...event, eventHeaderLines };
}

/**
 * The event's metadata as NATS header lines ({@link eventHeaderEntries}: the names and
 * values the bridge writes to Kafka), or undefined when a value cannot travel in a header or
 * the lines would take more than `roomBytes` (the stream's size limit counts headers too:
 * an event at the limit goes without them, and the bridge decodes it).
 */
export function eventHeaderLines(envelope: Envelope, roomBytes: number): string | undefined {
  const entries = eventHeaderEntries(envelope);
  if (entries === undefined) return undefined;
  let lines = "";
  for (const [name, value] of entries) lines += `${name}: ${value}\r\n`;
  return Buffer.byteLength(lines) <= roomBytes ? lines : undefined;
}
