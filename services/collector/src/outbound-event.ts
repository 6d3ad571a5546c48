/** One encoded envelope on its way to JetStream (or into the spool). */
export interface OutboundEvent {
  readonly subject: string;
  /** The envelope's event_id, sent as `Nats-Msg-Id` so the stream deduplicates resends. */
  readonly msgId: string;
  /** The protobuf-encoded envelope. */
  readonly data: Uint8Array;
  /** When the collector received it (for the receive → PubAck latency histogram). */
  readonly receivedAtMs: number;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * Spool record body: `[f64 receivedAtMs][u16 subject length][subject][u16 id length][id][data]`
 * (big-endian). Kept next to the type so the format has one definition.
 */
export function encodeOutboundEvent(e: OutboundEvent): Uint8Array {
  const subject = utf8.encode(e.subject);
  const id = utf8.encode(e.msgId);
  const out = Buffer.allocUnsafe(8 + 2 + subject.length + 2 + id.length + e.data.length);
  let o = out.writeDoubleBE(e.receivedAtMs, 0);
  o = out.writeUInt16BE(subject.length, o);
  out.set(subject, o);
  o = out.writeUInt16BE(id.length, o + subject.length);
  out.set(id, o);
  out.set(e.data, o + id.length);
  return out;
}

/** Inverse of {@link encodeOutboundEvent}. */
export function decodeOutboundEvent(body: Uint8Array): OutboundEvent {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const receivedAtMs = b.readDoubleBE(0);
  const subjectLength = b.readUInt16BE(8);
  let o = 10;
  const subject = fromUtf8.decode(b.subarray(o, o + subjectLength));
  o += subjectLength;
  const idLength = b.readUInt16BE(o);
  o += 2;
  const msgId = fromUtf8.decode(b.subarray(o, o + idLength));
  o += idLength;
  return { subject, msgId, data: b.subarray(o), receivedAtMs };
}
