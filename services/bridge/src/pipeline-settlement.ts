import { type BackoffPolicy, backoffMs } from "./backoff.ts";
import type { BridgeMetrics } from "./metrics.ts";
import { RecordTooLargeError } from "./pipeline-errors.ts";
import { deadLetterItem, type Item } from "./pipeline-item.ts";
import type { InboundMessage, PipelineLogger } from "./pipeline-ports.ts";
import { PoisonReason } from "./read-event-for-bridge.ts";

/** What settlement needs of the pipeline's options, plus the queue it puts retries back on. */
export interface SettlementOptions {
  readonly deadLetterTopic: string;
  readonly backoff: BackoffPolicy;
  readonly ordered: boolean;
  readonly metrics: BridgeMetrics;
  readonly logger?: PipelineLogger;
  readonly now: () => number;
  /** The pipeline's queue of items waiting to be written (shared, changed in place). */
  readonly queue: Item[];
  /** Naks a message and counts it under `reason`. */
  readonly nak: (msg: InboundMessage, reason: string, delayMs: number) => void;
}

/** Settles the JetStream messages of a written or failed produce request. */
export interface Settlement {
  /** Kafka confirmed `batch`: ack its messages (terminate the dead-lettered ones). */
  confirmed(batch: readonly Item[]): void;
  /**
   * The produce of `batch` failed: pause writing (backoff), then retry in place (ordered mode),
   * dead-letter a lone record the broker refused as too large, or nak.
   */
  failed(batch: readonly Item[], err: unknown, draining: boolean): void;
  /** Until when writing pauses after a failed produce (epoch ms; in the past when not paused). */
  pausedUntil(): number;
}

/** Creates the settlement stage. */
export function createSettlement(options: SettlementOptions): Settlement {
  const { metrics, logger, now, queue, nak } = options;
  let consecutiveFailures = 0;
  let pausedUntil = 0;

  return {
    confirmed(batch) {
      consecutiveFailures = 0;
      const t = now();
      let acked = 0;
      for (const { msg, settle, span } of batch) {
        if (settle.kind === "ack") {
          msg.ack();
          span?.end(t);
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
    },

    failed(batch, err, draining) {
      consecutiveFailures++;
      const pauseMs = backoffMs(options.backoff, consecutiveFailures);
      pausedUntil = now() + pauseMs;
      metrics.kafkaErrors.inc();
      logger?.error({ err, records: batch.length, pauseMs }, "Kafka produce failed");
      const failure = `Kafka produce failed: ${err instanceof Error ? err.message : String(err)}`;
      if (err instanceof RecordTooLargeError && batch.length === 1) {
        const [only] = batch as [Item];
        if (only.settle.kind === "ack") {
          only.span?.end(undefined, failure);
          queue.unshift(
            deadLetterItem(only.msg, options.deadLetterTopic, PoisonReason.tooLarge, err.message, false),
          );
          return;
        }
      }
      if (options.ordered && !draining) {
        // Keep the batch at the head: retried in place after the pause, so per-key order holds.
        queue.unshift(...batch);
        return;
      }
      // A redelivered message starts a new bridge span in the same trace.
      for (const item of batch) {
        item.span?.end(undefined, failure);
        nak(item.msg, "kafka-error", backoffMs(options.backoff, item.msg.deliveryCount));
      }
      if (draining) {
        // Kafka is failing while we shut down: hand everything back now rather than hold it.
        for (const item of queue.splice(0)) {
          item.span?.end(undefined, "handed back at drain");
          nak(item.msg, "draining", 0);
        }
      }
    },

    pausedUntil: () => pausedUntil,
  };
}
