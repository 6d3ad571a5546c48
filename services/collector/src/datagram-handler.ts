import { encodeEnvelope, validateEnvelope } from "@langtian/envelope";
import type { EventSpan, EventTracer } from "@langtian/service-kit";
import type { DeadLetterSink } from "./dead-letter.ts";
import { DecodeError, type Decoder } from "./decoders/index.ts";
import { type Delivery, DeliveryRejectedError } from "./delivery.ts";
import { buildEnvelope, type EnvelopeDefaults } from "./envelope-builder.ts";
import type { CollectorMetrics } from "./metrics.ts";
import { eventHeaderLines } from "./outbound-event.ts";
import type { InputSource, RejectionLog } from "./rejection-log.ts";

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
  /** Logs each rejection (rate-limited) besides the counters. */
  readonly rejectionLog?: RejectionLog | undefined;
  /** Starts each event's trace; its span lasts until JetStream (or the spool) has the event. */
  readonly tracer?: EventTracer | undefined;
}

/** Handles one datagram: its bytes, receive time and (when known) the sender's address. */
export type DatagramHandler = (datagram: Uint8Array, receivedAtMs: number, source?: InputSource) => void;

/**
 * Returns the per-datagram function: decode, build and validate the envelope, hand it to
 * delivery. Every datagram ends up counted as decoded or as an error with a reason; nothing
 * thrown here reaches the socket (a bad datagram never crashes the collector).
 */
export function createDatagramHandler(o: DatagramHandlerOptions): DatagramHandler {
  const labels = { listener: o.listener };
  // Label lookups once, not per datagram.
  const received = o.metrics.tally(o.metrics.datagramsReceived.labels(labels));
  const receivedBytes = o.metrics.tally(o.metrics.bytesReceived.labels(labels));
  const decoded = o.metrics.tally(o.metrics.eventsDecoded.labels(labels));
  const reject = (datagram: Uint8Array, reason: string, detail: string, source: InputSource | undefined) => {
    o.metrics.decodeErrors.inc({ listener: o.listener, reason });
    o.deadLetter?.send(datagram, reason, o.listener, detail);
    o.rejectionLog?.({ path: "udp", listener: o.listener, reason, detail, input: datagram, source });
  };
  const onRejected = (err: unknown) => {
    if (!(err instanceof DeliveryRejectedError)) o.metrics.rejected.inc({ reason: "internal" });
  };
  return (datagram, receivedAtMs, source) => {
    received.n++;
    receivedBytes.n += datagram.length;
    if (datagram.length > o.maxDatagramBytes) {
      reject(datagram, "oversize", `${datagram.length} bytes > ${o.maxDatagramBytes}`, source);
      return;
    }
    if (datagram.length === 0) {
      reject(datagram, "empty", "empty datagram", source);
      return;
    }
    let data: Uint8Array;
    let subject: string;
    let msgId: string;
    let headerLines: string | undefined;
    let span: EventSpan | undefined;
    try {
      const event = o.decoder.decode(datagram);
      if (event.eventTimeMs !== undefined) o.metrics.eventTimes.record(receivedAtMs, event.eventTimeMs);
      span = o.tracer?.startEvent("collector.publish", receivedAtMs, event.traceparent);
      const envelope = buildEnvelope(event, o.defaults, receivedAtMs, span?.traceparent ?? event.traceparent);
      const violations = validateEnvelope(envelope, { nowMs: receivedAtMs });
      if (violations.length > 0) {
        const first = violations[0];
        reject(datagram, "invalid_envelope", `${first?.path}: ${first?.message}`, source);
        span?.end(undefined, "invalid_envelope");
        return;
      }
      data = encodeEnvelope(envelope);
      if (data.length > o.maxEnvelopeBytes) {
        reject(
          datagram,
          "oversize",
          `envelope of ${data.length} bytes > ${o.maxEnvelopeBytes} the stream takes`,
          source,
        );
        span?.end(undefined, "oversize");
        return;
      }
      subject = `${o.subjectPrefix}.${envelope.eventType}`;
      msgId = envelope.eventId;
      headerLines = eventHeaderLines(envelope, o.maxEnvelopeBytes - data.length);
      if (span?.recording)
        span.setAttributes(eventAttributes(envelope.eventId, envelope.eventType, subject, o.listener));
    } catch (err) {
      if (err instanceof DecodeError) reject(datagram, err.reason, err.message, source);
      else reject(datagram, "decoder_failed", err instanceof Error ? err.message : String(err), source);
      span?.end(undefined, "decode_failed");
      return;
    }
    decoded.n++;
    const outbound =
      headerLines === undefined
        ? { subject, msgId, data, receivedAtMs }
        : { subject, msgId, data, receivedAtMs, eventHeaderLines: headerLines };
    // Rejections (spool full, draining) are counted by delivery; a datagram has no sender to tell.
    if (span?.recording !== true) {
      o.delivery.accept(outbound, onRejected);
      return;
    }
    const traced = span;
    o.delivery.accept(
      outbound,
      (err) => {
        onRejected(err);
        traced.end(undefined, err instanceof Error ? err.message : String(err));
      },
      (outcome) => {
        traced.setAttributes({ "langtian.delivery": outcome });
        traced.end();
      },
    );
  };
}

/** What a recorded collector span says of its event (OpenTelemetry messaging conventions). */
function eventAttributes(eventId: string, eventType: string, subject: string, listener: string) {
  return {
    "messaging.system": "nats",
    "messaging.operation.type": "send",
    "messaging.destination.name": subject,
    "messaging.message.id": eventId,
    "langtian.event_id": eventId,
    "langtian.event_type": eventType,
    "langtian.listener": listener,
  };
}
