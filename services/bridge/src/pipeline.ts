import { ErrorCode, LangtianError } from "@langtian/errors";
import { type BackoffPolicy, backoffMs } from "./backoff.ts";
import { decodeEnvelope, PoisonReason } from "./decode.ts";
import {
  DecodeCause,
  type EventMetadata,
  metadataFromEnvelope,
  metadataFromHeaders,
} from "./event-metadata.ts";
import { BridgeHeaders, type HeaderSet, recordHeaders, recordKey, type TopicRouter } from "./mapping.ts";
import type { BridgeMetrics } from "./metrics.ts";

/** The part of a JetStream message the pipeline uses (nats.js `JsMsg` adapted; fakes in unit tests). */
export interface InboundMessage {
  readonly data: Uint8Array;
  readonly subject: string;
  readonly streamSequence: number;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  header(name: string): string | undefined;
  ack(): void;
  nak(delayMs?: number): void;
  working(): void;
  term(reason?: string): void;
}

/** One Kafka record to write. */
export interface OutboundRecord {
  readonly topic: string;
  readonly key: string | undefined;
  readonly value: Uint8Array | undefined;
  readonly headers: Map<string, string>;
}

/** Writes a batch of records; resolves only once Kafka confirmed every one of them (acks=all). */
export interface RecordSink {
  send(records: readonly OutboundRecord[]): Promise<void>;
}

/** Raised by a sink when a single record exceeds what the broker accepts: retrying cannot help. */
export class RecordTooLargeError extends LangtianError {
  override readonly code = ErrorCode.resourceExhausted;
  override readonly name = "RecordTooLargeError";
}

/** A produce request did not settle in time; its records are treated as not written. */
export class ProduceTimeoutError extends LangtianError {
  override readonly code = ErrorCode.deadlineExceeded;
  override readonly name = "ProduceTimeoutError";
}

/** Minimal logger shape (pino-compatible). */
export interface PipelineLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Tuning and policy of the in-flight pipeline. */
export interface PipelineOptions {
  readonly sink: RecordSink;
  readonly router: TopicRouter;
  readonly deadLetterTopic: string;
  /** Headers each record carries (default `full`). */
  readonly headerSet?: HeaderSet;
  /** Most records in one Kafka produce request. */
  readonly maxBatchRecords: number;
  /** Most bytes (values + keys + headers) in one produce request; below the broker's batch limit. */
  readonly maxBatchBytes: number;
  /** Larger records are poison: the broker would refuse them forever. */
  readonly maxRecordBytes: number;
  /**
   * Most messages held at once; beyond it new ones are naked with a delay. The consumer's
   * MaxAckPending is the real flow limit; this is the per-instance safety valve.
   */
  readonly maxInFlight: number;
  /** A poison message is dead-lettered on this delivery; earlier deliveries are naked. */
  readonly poisonMaxDeliveries: number;
  /**
   * A produce request not settled in this time counts as failed: its messages are naked. If it
   * completes later anyway, the redelivered copies become duplicates (at-least-once).
   */
  readonly produceTimeoutMs: number;
  /** Delay of naks and of the pause after a failed produce. */
  readonly backoff: BackoffPolicy;
  /** How often held messages get an in-progress ack so AckWait does not expire during slow writes. */
  readonly workingIntervalMs: number;
  /**
   * Ordered mode: a failed batch is retried in place (never naked) so per-key order holds,
   * and poison is dead-lettered at once instead of being naked past later messages.
   */
  readonly ordered: boolean;
  readonly metrics: BridgeMetrics;
  readonly logger?: PipelineLogger;
  readonly now?: () => number;
}

/** What to do with the JetStream message once its record is confirmed. */
type Settle =
  | { readonly kind: "ack"; readonly eventMs: number | undefined }
  | { readonly kind: "term"; readonly reason: string };

interface Item {
  readonly msg: InboundMessage;
  readonly record: OutboundRecord;
  readonly bytes: number;
  readonly settle: Settle;
}

/** The consume → produce → ack stage. */
export interface Pipeline {
  /**
   * Takes one message (called as it arrives; never blocks). It is held, and kept alive with
   * in-progress acks, until Kafka confirmed it; or naked when it cannot be taken now.
   */
  push(msg: InboundMessage): void;
  /** Messages held now (queued + being written). */
  inFlight(): number;
  /** Stops writing (messages still accepted and kept alive); see {@link Pipeline.resume}. */
  pause(): void;
  /** Writes again, starting with what arrived while paused, in stream order. */
  resume(): void;
  /** Stops taking messages (later ones are naked at once), finishes the held ones, resolves when none is left. */
  drain(): Promise<void>;
  /** Stops timers; call after drain. */
  close(): void;
}

/**
 * Creates the pipeline. Records are written in batches, one produce request at a time: while a
 * request is out the next batch accumulates, so batching grows with load and latency stays low
 * when idle. A JetStream message is acked (or, for poison, terminated) only after Kafka confirmed.
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const { sink, metrics, logger } = options;
  const now = options.now ?? Date.now;
  const queue: Item[] = [];
  let sending: Item[] = [];
  let draining = false;
  let paused = false;
  let consecutiveFailures = 0;
  let pausedUntil = 0;
  let pauseTimer: NodeJS.Timeout | undefined;
  const idleWaiters: (() => void)[] = [];

  const workingTimer = setInterval(() => {
    for (const item of sending) item.msg.working();
    for (const item of queue) item.msg.working();
  }, options.workingIntervalMs);
  workingTimer.unref();

  const held = (): number => queue.length + sending.length;

  function nak(msg: InboundMessage, reason: string, delayMs: number): void {
    msg.nak(delayMs);
    metrics.naked.inc({ reason });
  }

  function notify(): void {
    metrics.inFlight.set(held());
    if (held() === 0) while (idleWaiters.length > 0) idleWaiters.shift()?.();
  }

  function deadLetter(msg: InboundMessage, reason: PoisonReason, detail: string, keepValue: boolean): Item {
    const headers = new Map<string, string>([
      [BridgeHeaders.deadLetterReason, `${reason}: ${detail}`],
      [BridgeHeaders.deadLetterDeliveries, String(msg.deliveryCount)],
      [BridgeHeaders.natsSubject, msg.subject],
      [BridgeHeaders.natsStreamSequence, String(msg.streamSequence)],
    ]);
    const msgId = msg.header(BridgeHeaders.natsMsgId);
    if (msgId !== undefined) headers.set(BridgeHeaders.natsMsgId, msgId);
    const value = keepValue ? msg.data : undefined;
    return {
      msg,
      record: { topic: options.deadLetterTopic, key: msg.subject, value, headers },
      bytes: (value?.length ?? 0) + 512,
      settle: { kind: "term", reason },
    };
  }

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
    const decoded = decodeEnvelope(msg.data);
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
      const key = recordKey(event);
      let bytes = msg.data.length + key.length;
      for (const [k, v] of headers) bytes += k.length + v.length;
      if (bytes > options.maxRecordBytes) {
        poison = { reason: PoisonReason.tooLarge, detail: `${bytes} bytes > ${options.maxRecordBytes}` };
      } else {
        item = {
          msg,
          record: { topic: options.router.topicFor(msg.subject), key, value: msg.data, headers },
          bytes,
          settle: { kind: "ack", eventMs: event.eventMs },
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
      return deadLetter(msg, poison.reason, poison.detail, poison.reason !== PoisonReason.tooLarge);
    }
    nak(msg, "poison", backoffMs(options.backoff, msg.deliveryCount));
    return undefined;
  }

  function takeBatch(): Item[] {
    let bytes = 0;
    let n = 0;
    while (n < queue.length && n < options.maxBatchRecords) {
      const next = queue[n] as Item;
      if (n > 0 && bytes + next.bytes > options.maxBatchBytes) break;
      bytes += next.bytes;
      n++;
    }
    return queue.splice(0, n);
  }

  function confirmed(batch: Item[]): void {
    const t = now();
    let acked = 0;
    for (const { msg, settle } of batch) {
      if (settle.kind === "ack") {
        msg.ack();
        acked++;
        if (settle.eventMs !== undefined)
          metrics.endToEndLagSeconds.observe(Math.max(0, (t - settle.eventMs) / 1000));
      } else {
        msg.term(`dead-lettered to ${options.deadLetterTopic}: ${settle.reason}`);
        metrics.deadLettered.inc({ reason: settle.reason });
      }
    }
    metrics.acked.inc(acked);
    metrics.produced.inc(batch.length);
  }

  function failed(batch: Item[], err: unknown): void {
    consecutiveFailures++;
    const pauseMs = backoffMs(options.backoff, consecutiveFailures);
    pausedUntil = now() + pauseMs;
    metrics.kafkaErrors.inc();
    logger?.error({ err, records: batch.length, pauseMs }, "Kafka produce failed");
    if (err instanceof RecordTooLargeError && batch.length === 1) {
      const [only] = batch as [Item];
      if (only.settle.kind === "ack") {
        queue.unshift(deadLetter(only.msg, PoisonReason.tooLarge, err.message, false));
        return;
      }
    }
    if (options.ordered && !draining) {
      // Keep the batch at the head: retried in place after the pause, so per-key order holds.
      queue.unshift(...batch);
      return;
    }
    for (const item of batch)
      nak(item.msg, "kafka-error", backoffMs(options.backoff, item.msg.deliveryCount));
    if (draining) {
      // Kafka is failing while we shut down: hand everything back now rather than hold it.
      for (const item of queue.splice(0)) nak(item.msg, "draining", 0);
    }
  }

  function pump(): void {
    if (paused || sending.length > 0 || queue.length === 0) return;
    const wait = pausedUntil - now();
    if (wait > 0) {
      if (pauseTimer === undefined) {
        pauseTimer = setTimeout(() => {
          pauseTimer = undefined;
          pump();
        }, wait);
      }
      return;
    }
    const batch = takeBatch();
    sending = batch;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ProduceTimeoutError(`produce did not settle in ${options.produceTimeoutMs} ms`)),
        options.produceTimeoutMs,
      );
      // A guard, not work: a produce still out when the pipeline closes must not hold the process open.
      timer.unref();
    });
    Promise.race([sink.send(batch.map((i) => i.record)), timeout])
      .finally(() => clearTimeout(timer))
      .then(
        () => {
          metrics.produceSeconds.observe((performance.now() - started) / 1000);
          consecutiveFailures = 0;
          sending = [];
          confirmed(batch);
          notify();
          pump();
        },
        (err: unknown) => {
          sending = [];
          failed(batch, err);
          notify();
          pump();
        },
      );
  }

  return {
    push(msg) {
      metrics.consumed.inc();
      if (msg.deliveryCount > 1) metrics.redeliveries.inc();
      if (draining) {
        nak(msg, "draining", 0);
        return;
      }
      if (held() >= options.maxInFlight) {
        // The longest delay: a short one would bring it straight back into the same full pipeline.
        nak(msg, "overloaded", options.backoff.maxMs);
        return;
      }
      const item = toItem(msg);
      if (item !== undefined) {
        queue.push(item);
        metrics.inFlight.set(held());
        pump();
      }
    },
    inFlight: held,
    pause() {
      paused = true;
    },
    resume() {
      if (!paused) return;
      paused = false;
      // Redeliveries of a failed-over instance's messages arrive after newer ones: restore stream order.
      queue.sort((a, b) => a.msg.streamSequence - b.msg.streamSequence);
      pump();
    },
    drain() {
      draining = true;
      paused = false;
      if (pausedUntil > now()) {
        // A produce failed moments ago: nak what waits instead of holding it through a long outage.
        for (const item of queue.splice(0)) nak(item.msg, "draining", 0);
        notify();
      }
      if (held() === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    close() {
      clearInterval(workingTimer);
      if (pauseTimer !== undefined) clearTimeout(pauseTimer);
    },
  };
}
