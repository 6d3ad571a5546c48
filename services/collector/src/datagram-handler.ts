import { encodeEnvelope, validateEnvelope } from "@langtian/envelope";
import type { DeadLetterSink } from "./dead-letter.ts";
import { DecodeError, type Decoder } from "./decoders/index.ts";
import { type Delivery, DeliveryRejectedError } from "./delivery.ts";
import { buildEnvelope, type EnvelopeDefaults } from "./envelope-builder.ts";
import type { CollectorMetrics } from "./metrics.ts";

/** Everything a listener needs to turn its datagrams into published events. */
export interface DatagramHandlerOptions {
  readonly listener: string;
  readonly decoder: Decoder;
  readonly defaults: EnvelopeDefaults;
  readonly subjectPrefix: string;
  readonly maxDatagramBytes: number;
  /** Largest envelope the stream takes (max_msg_size, max_payload). */
  readonly maxEnvelopeBytes: number;
  readonly delivery: Delivery;
  readonly metrics: CollectorMetrics;
  readonly deadLetter?: DeadLetterSink | undefined;
}

/**
 * Returns the per-datagram function: decode, build and validate the envelope, hand it to
 * delivery. Every datagram ends up counted as decoded or as an error with a reason; nothing
 * thrown here reaches the socket (a bad datagram never crashes the collector).
 */
export function createDatagramHandler(
  o: DatagramHandlerOptions,
): (datagram: Uint8Array, receivedAtMs: number) => void {
  const labels = { listener: o.listener };
  // Label lookups once, not per datagram.
  const received = o.metrics.tally(o.metrics.datagramsReceived.labels(labels));
  const receivedBytes = o.metrics.tally(o.metrics.bytesReceived.labels(labels));
  const decoded = o.metrics.tally(o.metrics.eventsDecoded.labels(labels));
  const reject = (datagram: Uint8Array, reason: string, detail: string) => {
    o.metrics.decodeErrors.inc({ listener: o.listener, reason });
    o.deadLetter?.send(datagram, reason, o.listener, detail);
  };
  const onRejected = (err: unknown) => {
    if (!(err instanceof DeliveryRejectedError)) o.metrics.rejected.inc({ reason: "internal" });
  };
  return (datagram, receivedAtMs) => {
    received.n++;
    receivedBytes.n += datagram.length;
    if (datagram.length > o.maxDatagramBytes) {
      reject(datagram, "oversize", `${datagram.length} bytes > ${o.maxDatagramBytes}`);
      return;
    }
    if (datagram.length === 0) {
      reject(datagram, "empty", "empty datagram");
      return;
    }
    let data: Uint8Array;
    let subject: string;
    let msgId: string;
    try {
      const envelope = buildEnvelope(o.decoder.decode(datagram), o.defaults, receivedAtMs);
      const violations = validateEnvelope(envelope, { nowMs: receivedAtMs });
      if (violations.length > 0) {
        const first = violations[0];
        reject(datagram, "invalid_envelope", `${first?.path}: ${first?.message}`);
        return;
      }
      data = encodeEnvelope(envelope);
      if (data.length > o.maxEnvelopeBytes) {
        reject(
          datagram,
          "oversize",
          `envelope of ${data.length} bytes > ${o.maxEnvelopeBytes} the stream takes`,
        );
        return;
      }
      subject = `${o.subjectPrefix}.${envelope.eventType}`;
      msgId = envelope.eventId;
    } catch (err) {
      if (err instanceof DecodeError) reject(datagram, err.reason, err.message);
      else reject(datagram, "decoder_failed", err instanceof Error ? err.message : String(err));
      return;
    }
    decoded.n++;
    // Rejections (spool full, draining) are counted by delivery; a datagram has no sender to tell.
    o.delivery.accept({ subject, msgId, data, receivedAtMs }, onRejected);
  };
}
