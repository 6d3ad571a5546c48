import type { EventTracer } from "@langtian/service-kit";
import { type BackoffPolicy, backoffMs } from "./backoff.ts";
import {
  DecodeCause,
  type EventMetadata,
  metadataFromEnvelope,
  metadataFromHeaders,
} from "./event-metadata.ts";
import { BridgeHeaders, type HeaderSet, recordHeaders, recordKey, type TopicRouter } from "./mapping.ts";
import type { BridgeMetrics } from "./metrics.ts";
import { deadLetterItem, type Item } from "./pipeline-item.ts";
import type { InboundMessage, PipelineLogger } from "./pipeline-ports.ts";
import { PoisonReason, readEventForBridge } from "./read-event-for-bridge.ts";

/** What admission needs of the pipeline's options. */
export interface AdmissionOptions {
  readonly router: TopicRouter;
  readonly deadLetterTopic: string;
  readonly headerSet?: HeaderSet;
  readonly maxRecordBytes: number;
  readonly maxInFlight: number;
  readonly poisonMaxDeliveries: number;
  readonly backoff: BackoffPolicy;
  readonly ordered: boolean;
  readonly metrics: BridgeMetrics;
  readonly logger?: PipelineLogger;
  readonly now: () => number;
  readonly tracer?: EventTracer | undefined;
  /** Naks a message and counts it under `reason`. */
  readonly nak: (msg: InboundMessage, reason: string, delayMs: number) => void;
}

/** Admission: decides, as each message arrives, whether it is held (and as what) or naked. */
export interface Admission {
  /**
   * The item to hold for `msg`, or undefined when it was naked: the pipeline is draining or
   * full (backpressure), or the message is poison not yet at its last delivery.
   */
  admit(msg: InboundMessage, held: number, draining: boolean): Item | undefined;
}

/** Creates the admission stage (counts consumption, applies backpressure, classifies poison). */
export function createAdmission(options: AdmissionOptions): Admission {
  const { metrics, logger, now, nak } = options;

  // Label lookups once, not per message.
  const decodedFor = {
    [DecodeCause.noHeaders]: metrics.decoded.labels({ reason: DecodeCause.noHeaders }),
    [DecodeCause.malformedHeaders]: metrics.decoded.labels({ reason: DecodeCause.malformedHeaders }),
  };
  let malformedWarnedAtMs = Number.NEGATIVE_INFINITY;

  /**
   * The event's metadata: from the NATS headers when the publisher set them (the bytes stay
   * untouched, nothing is decoded), else from the decoded and validated envelope.
   */
  function metadataOf(
    msg: InboundMessage,
  ): { ok: true; event: EventMetadata } | { ok: false; reason: PoisonReason; detail: string } {
    const fromHeaders = metadataFromHeaders(msg);
    if (fromHeaders.ok) return { ok: true, event: fromHeaders.metadata };
    decodedFor[fromHeaders.cause].inc();
    if (fromHeaders.cause === DecodeCause.malformedHeaders && now() - malformedWarnedAtMs >= 10_000) {
      // At most one line per 10 s: a misbehaving publisher would otherwise log every message.
      malformedWarnedAtMs = now();
      logger?.warn(
        { subject: msg.subject, seq: msg.streamSequence, detail: fromHeaders.detail },
        "event headers malformed: decoding the envelope instead",
      );
    }
    const decoded = readEventForBridge(msg.data);
    return decoded.ok ? { ok: true, event: metadataFromEnvelope(decoded.envelope) } : decoded;
  }

  /** Turns a message into the item to write, or naks it (poison not yet at its last delivery). */
  function toItem(msg: InboundMessage): Item | undefined {
    const found = metadataOf(msg);
    let poison: { reason: PoisonReason; detail: string } | undefined;
    let item: Item | undefined;
    if (found.ok) {
      const { event } = found;
      const headers = recordHeaders(
        event,
        {
          subject: msg.subject,
          streamSequence: msg.streamSequence,
          natsMsgId: msg.header(BridgeHeaders.natsMsgId),
          traceparent: msg.header(BridgeHeaders.traceparent),
          tracestate: msg.header(BridgeHeaders.tracestate),
        },
        options.headerSet,
      );
      // A recorded trace continues from this hop: the record carries the bridge span's context.
      const span = options.tracer?.continueEvent(
        "bridge.forward",
        now(),
        headers.get(BridgeHeaders.traceparent),
        "producer",
      );
      if (span?.recording) {
        headers.set(BridgeHeaders.traceparent, span.traceparent);
        span.setAttributes({
          "messaging.system": "kafka",
          "messaging.operation.type": "send",
          "messaging.destination.name": options.router.topicFor(msg.subject),
          "langtian.event_id": event.eventId,
          "langtian.event_type": event.eventType,
          "langtian.nats.stream_sequence": msg.streamSequence,
        });
      }
      const key = recordKey(event);
      let bytes = msg.data.length + key.length;
      for (const [k, v] of headers) bytes += k.length + v.length;
      if (bytes > options.maxRecordBytes) {
        poison = { reason: PoisonReason.tooLarge, detail: `${bytes} bytes > ${options.maxRecordBytes}` };
        span?.end(undefined, "too large for Kafka: dead-lettered");
      } else {
        item = {
          msg,
          record: { topic: options.router.topicFor(msg.subject), key, value: msg.data, headers },
          bytes,
          settle: { kind: "ack", eventMs: event.eventMs },
          ...(span?.recording ? { span } : {}),
        };
      }
    } else {
      poison = { reason: found.reason, detail: found.detail };
    }
    if (poison === undefined) return item;
    if (options.ordered || msg.deliveryCount >= options.poisonMaxDeliveries) {
      logger?.warn(
        { subject: msg.subject, seq: msg.streamSequence, ...poison },
        "dead-lettering poison message",
      );
      return deadLetterItem(
        msg,
        options.deadLetterTopic,
        poison.reason,
        poison.detail,
        poison.reason !== PoisonReason.tooLarge,
      );
    }
    nak(msg, "poison", backoffMs(options.backoff, msg.deliveryCount));
    return undefined;
  }

  return {
    admit(msg, held, draining) {
      metrics.consumed.inc();
      if (msg.deliveryCount > 1) metrics.redeliveries.inc();
      if (draining) {
        nak(msg, "draining", 0);
        return undefined;
      }
      if (held >= options.maxInFlight) {
        // The longest delay: a short one would bring it straight back into the same full pipeline.
        nak(msg, "overloaded", options.backoff.maxMs);
        return undefined;
      }
      return toItem(msg);
    },
  };
}
