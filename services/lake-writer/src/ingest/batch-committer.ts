import type { BatchWriter, LakeBatch } from "../lake/batch-writer.ts";
import { PartitionFencedError } from "../lake/lake-transaction.ts";
import { abortableSleep } from "./abortable-sleep.ts";
import type { IngestObserver } from "./ingest-loop.ts";
import type { ClosedBatch, OpenBatch } from "./open-batch.ts";
import type { PartitionOwnership } from "./partition-ownership.ts";
import type { ProgressMonitor } from "./progress-monitor.ts";
import type { Source } from "./source.ts";

/** Whether the loop is stopping, as the committer needs to know it. */
export interface StopState {
  readonly draining: boolean;
  readonly aborted: boolean;
  /** Aborted with the loop: cuts backoffs short. */
  readonly signal: AbortSignal;
}

/** Options of {@link createBatchCommitter}. */
export interface BatchCommitterOptions {
  source: Source;
  writer: BatchWriter;
  ownership: PartitionOwnership;
  batch: OpenBatch;
  monitor: ProgressMonitor;
  observer?: IngestObserver;
  stop: StopState;
}

/**
 * Commits batches one at a time in the background (the loop reads and routes the next
 * batch meanwhile) and recovers when one does not land: the open batch, read on top of it,
 * is dropped too, positions go back to the lake's, and a failure (not a fence) pauses the
 * loop with a growing backoff. Nothing read after the last commit survives a failure.
 */
export interface BatchCommitter {
  /**
   * Set (synchronously, by the commit's own catch) when the commit in flight did not land;
   * undefined otherwise.
   */
  readonly dropped: "fenced" | "failed" | undefined;
  /**
   * Hands the open batch to a new commit once the previous one landed. Returns false when
   * the previous commit was dropped: the open batch, built on top of it, is dropped too.
   */
  flush(): Promise<boolean>;
  /** Waits for the commit in flight; false when it was dropped (and recovered from). */
  settle(): Promise<boolean>;
  /** {@link BatchCommitter.flush}, then {@link BatchCommitter.settle}. */
  flushAndSettle(): Promise<void>;
  /** Waits for the commit in flight, whatever its outcome (never rejects). */
  idle(): Promise<void>;
}

/** Creates the committer of one ingest loop (see {@link BatchCommitter}). */
export function createBatchCommitter(options: BatchCommitterOptions): BatchCommitter {
  const { source, writer, ownership, batch, monitor, observer, stop } = options;
  const { leases } = ownership;
  /** The commit in flight, if any. */
  let inFlight: Promise<void> | undefined;
  let dropped: "fenced" | "failed" | undefined;

  /** Writes one batch with its positions in one lake transaction, then tells the source. */
  async function commit({ builder, reached, spans }: ClosedBatch): Promise<void> {
    if (reached.size === 0) return;
    const started = performance.now();
    const entries = [...reached].flatMap(([partition, nextPosition]) => {
      const lease = leases.get(partition);
      return lease ? [{ partition, lease, nextPosition }] : [];
    });
    const lakeBatch: LakeBatch = {
      tables: builder.build(),
      positions: entries.map(({ lease, nextPosition }) => ({ lease, nextPosition, expected: lease.stored })),
    };
    let result: Awaited<ReturnType<BatchWriter["write"]>>;
    try {
      result = await writer.write(lakeBatch);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      for (const span of spans) span.end(undefined, `lake commit failed: ${reason}`);
      throw err;
    }
    const committedAt = Date.now();
    for (const span of spans) span.end(committedAt);
    for (const { partition, lease, nextPosition } of entries) {
      // Only the lease the batch was built under moves: a partition claimed again meanwhile
      // already holds the lake's position.
      const current = leases.get(partition);
      if (current && current.epoch === lease.epoch) {
        current.committed = nextPosition;
        current.stored = nextPosition;
        current.lastCommitAt = committedAt;
      }
    }
    monitor.commitSucceeded();
    const duplicatesDropped = builder.duplicates + result.duplicates;
    observer?.batchCommitted?.({
      rows: builder.rows - builder.deadLetters - duplicatesDropped,
      deadLetters: builder.deadLetters,
      tables: lakeBatch.tables.length,
      latencyMs: performance.now() - started,
      conflicts: result.conflicts,
      lateEvents: result.lateEvents,
      duplicatesDropped,
    });
    // The source's own offsets are for lag monitoring only: the lake is the truth.
    await source
      .afterCommit(new Map(entries.map((e) => [e.partition, e.nextPosition])))
      .catch(() => undefined);
  }

  async function commitDetached(closed: ClosedBatch): Promise<void> {
    monitor.commitStarted();
    try {
      await commit(closed);
    } catch (err) {
      if (err instanceof PartitionFencedError) {
        observer?.fenced?.(err.partitions);
        // Another writer owns these now; forget them and let the group tell us again (or,
        // if it still gives them to us and says nothing new, claim them back: scheduleReclaim).
        ownership.forgetFenced(err.partitions);
        ownership.scheduleReclaim();
        dropped ??= "fenced";
      } else {
        monitor.commitFailed(err);
        dropped = "failed";
      }
    } finally {
      monitor.commitEnded();
    }
  }

  /**
   * Puts every owned partition back at the position the lake holds (see
   * {@link PartitionOwnership.resync}). Retries until the catalog answers (or the loop stops).
   */
  async function resyncFromLake(): Promise<void> {
    // While draining, one try: nothing is committed after a drain, so waiting for the
    // catalog would only hold the shutdown until its deadline.
    for (let attempt = 0; !stop.aborted && !(stop.draining && attempt > 0); attempt++) {
      try {
        await ownership.resync();
        return;
      } catch (err) {
        monitor.commitFailed(err);
        await abortableSleep(monitor.retryDelay(attempt + 1), stop.signal);
      }
    }
  }

  /**
   * After a dropped commit: drop the open batch too, put every partition back at the
   * lake's position, and pause (growing with each failure in a row) unless it was a fence.
   */
  async function recover(): Promise<void> {
    await inFlight;
    inFlight = undefined;
    const kind = dropped;
    dropped = undefined;
    batch.reset();
    await resyncFromLake();
    if (kind === "failed" && !stop.draining) {
      await abortableSleep(monitor.retryDelay(monitor.commitFailures), stop.signal);
    }
  }

  const committer: BatchCommitter = {
    get dropped() {
      return dropped;
    },
    async settle() {
      await inFlight;
      inFlight = undefined;
      if (dropped === undefined) return true;
      await recover();
      return false;
    },
    async flush() {
      if (!(await committer.settle())) return false;
      const closed = batch.take();
      if (closed.reached.size > 0) inFlight = commitDetached(closed);
      return true;
    },
    async flushAndSettle() {
      await committer.flush();
      await committer.settle();
    },
    async idle() {
      await inFlight;
    },
  };
  return committer;
}
