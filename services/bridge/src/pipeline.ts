import type { EventTracer } from "@langtian/service-kit";
import type { BackoffPolicy } from "./backoff.ts";
import type { HeaderSet, TopicRouter } from "./mapping.ts";
import type { BridgeMetrics } from "./metrics.ts";
import { createAdmission } from "./pipeline-admission.ts";
import { produceBatch, takeBatch } from "./pipeline-batching.ts";
import { startWorkingHeartbeat } from "./pipeline-heartbeat.ts";
import type { Item } from "./pipeline-item.ts";
import type { InboundMessage, PipelineLogger, RecordSink } from "./pipeline-ports.ts";
import { createSettlement } from "./pipeline-settlement.ts";

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
  /** Continues each event's trace: a span from the message's arrival to Kafka's confirmation. */
  readonly tracer?: EventTracer;
}

/**
 * What a running pipeline can change (the shared connector configuration): routing and the
 * settings read per message or per batch. Fields left out keep their value.
 */
export type PipelineSettings = Partial<
  Pick<
    PipelineOptions,
    | "router"
    | "deadLetterTopic"
    | "maxBatchRecords"
    | "maxBatchBytes"
    | "maxRecordBytes"
    | "maxInFlight"
    | "poisonMaxDeliveries"
    | "produceTimeoutMs"
    | "backoff"
  >
>;

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
  /**
   * Applies new settings at once, between two messages and two batches: messages admitted from
   * now on are routed and limited by them, a batch taken from now on by their sizes. Held
   * messages keep the topic they were routed to, so nothing is dropped or written twice.
   */
  reconfigure(settings: PipelineSettings): void;
}

/**
 * Creates the pipeline. Records are written in batches, one produce request at a time: while a
 * request is out the next batch accumulates, so batching grows with load and latency stays low
 * when idle. A JetStream message is acked (or, for poison, terminated) only after Kafka confirmed.
 *
 * The stages, one file each: admission and backpressure (`pipeline-admission.ts`), batching into
 * produce requests (`pipeline-batching.ts`), settling acks, naks and dead letters
 * (`pipeline-settlement.ts`), and in-progress acks of held messages (`pipeline-heartbeat.ts`).
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const { sink, metrics } = options;
  const now = options.now ?? Date.now;
  const queue: Item[] = [];
  let sending: Item[] = [];
  let draining = false;
  let paused = false;
  let pauseTimer: NodeJS.Timeout | undefined;
  const idleWaiters: (() => void)[] = [];

  const held = (): number => queue.length + sending.length;

  function nak(msg: InboundMessage, reason: string, delayMs: number): void {
    msg.nak(delayMs);
    metrics.naked.inc({ reason });
  }

  function notify(): void {
    metrics.inFlight.set(held());
    if (held() === 0) while (idleWaiters.length > 0) idleWaiters.shift()?.();
  }

  // One mutable copy of the options, read by every stage per message and per batch, so
  // reconfigure() changes them all at once (JavaScript runs one message or batch at a time).
  const live: { -readonly [K in keyof PipelineOptions]: PipelineOptions[K] } & {
    now: () => number;
    nak: typeof nak;
    queue: Item[];
  } = { ...options, now, nak, queue };
  const admission = createAdmission(live);
  const settlement = createSettlement(live);
  const stopWorking = startWorkingHeartbeat(options.workingIntervalMs, () => [sending, queue]);

  /** Starts the next produce request unless one is out, writing is paused, or nothing waits. */
  function pump(): void {
    if (paused || sending.length > 0 || queue.length === 0) return;
    const wait = settlement.pausedUntil() - now();
    if (wait > 0) {
      if (pauseTimer === undefined) {
        pauseTimer = setTimeout(() => {
          pauseTimer = undefined;
          pump();
        }, wait);
      }
      return;
    }
    const batch = takeBatch(queue, live.maxBatchRecords, live.maxBatchBytes);
    sending = batch;
    const started = performance.now();
    produceBatch(sink, batch, live.produceTimeoutMs).then(
      () => {
        metrics.produceSeconds.observe((performance.now() - started) / 1000);
        sending = [];
        settlement.confirmed(batch);
        notify();
        pump();
      },
      (err: unknown) => {
        sending = [];
        settlement.failed(batch, err, draining);
        notify();
        pump();
      },
    );
  }

  return {
    push(msg) {
      const item = admission.admit(msg, held(), draining);
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
      if (settlement.pausedUntil() > now()) {
        // A produce failed moments ago: nak what waits instead of holding it through a long outage.
        for (const item of queue.splice(0)) {
          item.span?.end(undefined, "handed back at drain");
          nak(item.msg, "draining", 0);
        }
        notify();
      }
      if (held() === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    close() {
      stopWorking();
      if (pauseTimer !== undefined) clearTimeout(pauseTimer);
    },
    reconfigure(settings) {
      for (const [key, value] of Object.entries(settings))
        if (value !== undefined) Object.assign(live, { [key]: value });
      pump();
    },
  };
}
