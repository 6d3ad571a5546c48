import type { Registry } from "@bufbuild/protobuf";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { EventTracer } from "@langtian/service-kit";
import type { BatchWriter } from "../lake/batch-writer.ts";
import type { PartitionKey } from "../lake/partition-ledger.ts";
import { abortableSleep } from "./abortable-sleep.ts";
import { createBatchCommitter } from "./batch-committer.ts";
import { createOpenBatch } from "./open-batch.ts";
import { createPartitionOwnership } from "./partition-ownership.ts";
import { createProgressMonitor } from "./progress-monitor.ts";
import type { Source } from "./source.ts";

/** When a batch is committed: whichever limit is reached first. */
export interface BatchLimits {
  maxBatchRows: number;
  maxBatchBytes: number;
  /** Longest a record waits in memory before its batch is committed. */
  flushIntervalMs: number;
}

/** What the loop reports, for metrics and logs. */
export interface IngestObserver {
  batchCommitted?(info: {
    rows: number;
    deadLetters: number;
    tables: number;
    latencyMs: number;
    conflicts: number;
    lateEvents: number;
    /** Copies of events already in the lake (or earlier in the batch), dropped. */
    duplicatesDropped: number;
  }): void;
  fenced?(partitions: readonly string[]): void;
  commitFailed?(err: unknown): void;
  pollFailed?(err: unknown): void;
  assigned?(partitions: readonly string[]): void;
}

/** Options of {@link createIngestLoop}. */
export interface IngestLoopOptions {
  source: Source;
  writer: BatchWriter;
  /** Connection for partition claims (the writer's own connection is fine: the loop is sequential). */
  connection: DuckDBConnection;
  /** Unique id of this writer instance, stored as the partitions' owner. */
  owner: string;
  registry: Registry;
  limits: BatchLimits;
  observer?: IngestObserver;
  /** Continues each event's trace to the commit of its batch. */
  tracer?: EventTracer;
  /** Pause after the first failed commit before reading again; doubles per failure up to 15×. Default 1000 ms. */
  retryDelayMs?: number;
  /**
   * Drop events whose id is already in the lake (copies a crashed bridge re-sent) or earlier
   * in the same batch. Default true. The writer must then be the only one writing the
   * partitions an event id can land in: the bridge keys every record by its partition key or
   * event id, so all copies of an event land in one partition.
   */
  dedupe?: boolean;
  /**
   * How long one read from the source may wait (no answer, no error) before the loop
   * reports it cannot make progress. Default 5000 ms: a read waits at most about a second
   * for data (Kafka's fetch wait, JetStream's expiry).
   */
  pollStallMs?: number;
  /**
   * How long one commit may run before the loop reports it cannot make progress. Default
   * 120,000 ms: a batch commits in well under a second; a slow S3 in seconds.
   */
  commitStallMs?: number;
  /**
   * With a group-assigned source ({@link Source.groupAssigned}): a partition this writer was
   * fenced on while the group still assigns it to this writer is claimed again after this long
   * without a newer assignment. Default 30,000 ms (above the
   * Kafka session timeout). Such a fence comes from another writer acting on an older group
   * generation that reached it late; that writer learns the newer one within a session
   * timeout, and without this the partition would have no writer until the next rebalance.
   */
  reclaimFencedAfterMs?: number;
}

/** One partition the loop owns, as {@link IngestLoop.partitions} reports it. */
export interface OwnedPartitionState {
  /** Partition id inside the source (`"events:3"`). */
  partition: string;
  /** The partition's key in the lake ledger. */
  key: PartitionKey;
  /** Fencing epoch of this writer's claim. */
  epoch: bigint;
  /** Next position as the lake's ledger holds it; null before the first commit. */
  lakePosition: bigint | null;
  /** Position reading resumes from after a failure (the lake's, or the source's start). */
  committed: bigint;
  /** Records between `committed` and the source's end, as of the last read; undefined when not known. */
  lag: bigint | undefined;
  /** When this writer last committed a batch advancing the partition (ms since the epoch). */
  lastCommitAt: number | undefined;
}

/** A running ingest loop. */
export interface IngestLoop {
  /** Resolves when the loop has stopped (after {@link IngestLoop.drain} or a fatal error). */
  readonly done: Promise<void>;
  /** Finishes and commits the batch in progress, then stops. Idempotent. */
  drain(): Promise<void>;
  /** Stops at once, dropping the uncommitted batch (it is read again by the next owner). */
  abort(): Promise<void>;
  /** Partitions owned right now with their committed positions. */
  positions(): ReadonlyMap<string, bigint>;
  /** Records behind the end of each owned partition. */
  lag(): Map<string, bigint>;
  /** Partitions owned right now with their claim and lake state, by source then partition. */
  partitions(): OwnedPartitionState[];
  /** True between the first successful assignment handling and stop. */
  readonly running: boolean;
  /**
   * Why the loop cannot make progress right now (commits failing, source unreadable past
   * its grace), or undefined when it can. Readiness follows it.
   */
  stalled(): string | undefined;
}

/**
 * The exactly-once loop: on assignment, claim each partition in the lake (bumping its
 * epoch) and read from the position the lake has; batch records by rows, bytes and time;
 * route them to tables (or dead letters); commit rows and new positions in one DuckLake
 * transaction; only then tell the source (Kafka offset commit, for lag only). After a
 * failed or fenced commit the batch is dropped and reading restarts from the lake's
 * positions, so nothing is written twice and nothing is skipped.
 */
export function createIngestLoop(options: IngestLoopOptions): IngestLoop {
  const { source, writer, connection, owner, registry, limits, observer } = options;
  let pendingAssignment: readonly string[] | undefined;
  let wake: (() => void) | undefined;
  let draining = false;
  let aborted = false;
  let running = false;
  const abortController = new AbortController();
  let fatal: Error | undefined;

  const notify = () => {
    wake?.();
    wake = undefined;
  };

  // The parts, each with one job: who owns which partition (and from where it reads), the
  // batch being collected, whether progress is made, and committing (with recovery).
  const ownership = createPartitionOwnership({
    source,
    connection,
    owner,
    ...(observer && { observer }),
    ...(options.reclaimFencedAfterMs !== undefined && { reclaimFencedAfterMs: options.reclaimFencedAfterMs }),
    onReclaimDue: notify,
  });
  const { leases, readPositions } = ownership;
  const monitor = createProgressMonitor({
    ...(observer && { observer }),
    ...(options.retryDelayMs !== undefined && { retryDelayMs: options.retryDelayMs }),
    ...(options.pollStallMs !== undefined && { pollStallMs: options.pollStallMs }),
    ...(options.commitStallMs !== undefined && { commitStallMs: options.commitStallMs }),
    reading: () => readPositions.size > 0,
  });
  const batch = createOpenBatch({
    source,
    registry,
    limits,
    dedupe: options.dedupe ?? true,
    readPositions,
    tracer: options.tracer,
  });
  const committer = createBatchCommitter({
    source,
    writer,
    ownership,
    batch,
    monitor,
    ...(observer && { observer }),
    stop: {
      get draining() {
        return draining;
      },
      get aborted() {
        return aborted;
      },
      signal: abortController.signal,
    },
  });

  async function run(): Promise<void> {
    try {
      await source.start({
        onAssignment(partitions) {
          pendingAssignment = partitions;
          notify();
        },
        onError(err) {
          fatal = err;
          notify();
        },
      });
    } catch (err) {
      // A drain or abort while the source was still starting closes it under its feet:
      // a requested stop, not a failure.
      if (draining || aborted) return;
      throw err;
    }
    running = true;
    try {
      while (!aborted) {
        if (fatal) throw fatal;
        if (!pendingAssignment && ownership.reclaimDue()) {
          // No newer assignment came: the fence was a stale claim; claim back what is ours.
          pendingAssignment = ownership.latestAssignment;
        }
        if (pendingAssignment) {
          // Commit what we have while we may still own it; a fenced commit is simply dropped.
          await committer.flushAndSettle();
          // A writer that is stopping claims nothing: a claim would fence the next owner.
          if (aborted) break;
          const partitions = pendingAssignment;
          pendingAssignment = undefined;
          try {
            await ownership.apply(partitions);
            monitor.commitSucceeded();
          } catch (err) {
            monitor.commitFailed(err);
            pendingAssignment ??= partitions;
            await abortableSleep(monitor.retryDelay(monitor.commitFailures), abortController.signal);
            continue;
          }
          batch.reset();
        }
        if (draining) {
          await committer.flushAndSettle();
          break;
        }
        if (readPositions.size === 0) {
          await committer.settle();
          const reclaimDue = ownership.reclaimDue();
          if (readPositions.size > 0 || pendingAssignment || reclaimDue || draining || aborted) continue;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          continue;
        }
        let polled: Awaited<ReturnType<Source["poll"]>>;
        monitor.pollStarted();
        try {
          polled = await source.poll(readPositions, abortController.signal);
          monitor.pollSucceeded();
        } catch (err) {
          // Broker or server unreachable for a moment: read again from the same positions.
          monitor.pollFailed(err);
          await abortableSleep(monitor.pollRetryDelay, abortController.signal);
          continue;
        } finally {
          monitor.pollEnded();
        }
        if (aborted) break;
        if (committer.dropped !== undefined) {
          // The commit in flight was dropped while we polled: this poll sits on top of it.
          await committer.settle();
          continue;
        }
        let rejected = false;
        for (const record of polled.records) {
          if (!batch.add(record)) continue;
          if (batch.full() && !(await committer.flush())) {
            // Positions were put back to the lake's: the rest of this poll is read again.
            rejected = true;
            break;
          }
        }
        if (!rejected && !aborted) {
          // Past the last record: Kafka transaction markers also take offsets.
          for (const [partition, position] of polled.reached) {
            if (leases.has(partition)) batch.advance(partition, position);
          }
          batch.markOpened();
        }
        if (batch.due() && batch.reached.size > 0) await committer.flush();
      }
    } finally {
      ownership.cancelReclaim();
      // Never leave a commit running behind the caller's back (abort included).
      await committer.idle();
    }
  }

  const done = run().finally(async () => {
    running = false;
    await source.close().catch(() => undefined);
  });
  // The caller observes failures through `done`; avoid an unhandled rejection meanwhile.
  done.catch(() => undefined);

  return {
    done,
    get running() {
      return running;
    },
    async drain() {
      draining = true;
      notify();
      // Still waiting for the source to start (e.g. a topic not created yet): stop waiting.
      if (!running) await source.close().catch(() => undefined);
      await done.catch(() => undefined);
    },
    async abort() {
      aborted = true;
      abortController.abort();
      notify();
      await done.catch(() => undefined);
    },
    positions() {
      return new Map([...leases].map(([partition, lease]) => [partition, lease.committed]));
    },
    lag() {
      return source.lag(new Map([...leases].map(([p, l]) => [p, l.committed])));
    },
    partitions() {
      const lag = source.lag(new Map([...leases].map(([p, l]) => [p, l.committed])));
      return [...leases]
        .map(([partition, lease]) => ({
          partition,
          key: lease.key,
          epoch: lease.epoch,
          lakePosition: lease.stored,
          committed: lease.committed,
          lag: lag.get(partition),
          lastCommitAt: lease.lastCommitAt,
        }))
        .sort(
          (a, b) =>
            compareText(a.key.source, b.key.source) || comparePartition(a.key.partition, b.key.partition),
        );
    },
    stalled() {
      return monitor.stalled();
    },
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Kafka partitions are numbers written as text: "10" comes after "9". */
function comparePartition(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) return Number(a) - Number(b);
  return compareText(a, b);
}
