import type { Registry } from "@bufbuild/protobuf";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { BatchWriter, LakeBatch } from "../lake/batch-writer.ts";
import { PartitionFencedError } from "../lake/lake-transaction.ts";
import {
  claimPartition,
  type PartitionKey,
  type PartitionLease,
  readLedger,
} from "../lake/partition-ledger.ts";
import { createBatchBuilder } from "../tables/batch-builder.ts";
import { routeRecord } from "../tables/event-tables.ts";
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
  /**
   * Owned partitions: the lease, the position reading resumes from (`committed`) and the
   * position the ledger row holds (`stored`, null before the first commit), which every
   * commit checks so a batch is never built on a position the lake no longer holds.
   */
  const leases = new Map<string, PartitionLease & { committed: bigint; stored: bigint | null }>();
  /** Read positions: ahead of `committed` while a batch is open. */
  const readPositions = new Map<string, bigint>();
  let pendingAssignment: readonly string[] | undefined;
  /** The group's latest assignment to this writer, as last applied. */
  let latestAssignment: readonly string[] = [];
  /** When to claim back fenced partitions the group still assigns to us; 0: none pending. */
  let reclaimAt = 0;
  let reclaimTimer: NodeJS.Timeout | undefined;
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

  /** After a fence: claim back, later, what the group still assigns to this writer. */
  function scheduleReclaim(): void {
    if (!source.groupAssigned || reclaimAt !== 0 || !latestAssignment.some((p) => !leases.has(p))) return;
    const delay = options.reclaimFencedAfterMs ?? 30_000;
    reclaimAt = Date.now() + delay;
    reclaimTimer = setTimeout(notify, delay);
    reclaimTimer.unref();
  }

  function cancelReclaim(): void {
    reclaimAt = 0;
    clearTimeout(reclaimTimer);
  }

  async function applyAssignment(partitions: readonly string[]): Promise<void> {
    cancelReclaim();
    latestAssignment = partitions;
    const wanted = new Set(partitions);
    for (const [partition, lease] of [...leases]) {
      // A partition kept across the assignment may have been owned by another writer in
      // between (two rebalances seen as one): if the lake names a newer claim, claim again
      // instead of committing on a stale epoch and waiting for the reclaim.
      const stored = wanted.has(partition) ? await readLedger(connection, lease.key) : undefined;
      if (!wanted.has(partition) || !stored || stored.epoch !== lease.epoch || stored.owner !== lease.owner) {
        leases.delete(partition);
        readPositions.delete(partition);
      }
    }
    for (const partition of partitions) {
      if (leases.has(partition)) continue;
      const lease = await claimPartition(connection, source.keyOf(partition), owner);
      const committed = lease.nextPosition ?? (await source.initialPosition(partition));
      leases.set(partition, { ...lease, committed, stored: lease.nextPosition });
      readPositions.set(partition, committed);
    }
    observer?.assigned?.(partitions);
  }

  /** Consecutive failed commits (or claims); 0 once one succeeds. */
  let commitFailures = 0;
  let lastCommitError = "";
  /** When reads from the source started failing (or were last served); 0 while none failed. */
  let pollFailingSince = 0;
  let lastPollError = "";
  /** When the poll under way started; 0 while none is. */
  let pollStartedAt = 0;
  /** When the commit in flight started; 0 while none is. */
  let commitStartedAt = 0;

  function describe(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
  }

  /**
   * Puts every owned partition back at the position the lake holds, re-read from its ledger
   * row: after a failed commit nothing read since the last commit may be kept, and a commit
   * whose COMMIT reached the catalog before its connection failed may have landed after all.
   * A partition whose ledger names a newer owner is dropped (fenced). Retries until the
   * catalog answers (or the loop stops).
   */
  async function resyncFromLake(): Promise<void> {
    // While draining, one try: nothing is committed after a drain, so waiting for the
    // catalog would only hold the shutdown until its deadline.
    for (let attempt = 0; !aborted && !(draining && attempt > 0); attempt++) {
      try {
        const fenced: string[] = [];
        for (const [partition, lease] of [...leases]) {
          const stored = await readLedger(connection, lease.key);
          if (!stored || stored.epoch !== lease.epoch || stored.owner !== lease.owner) {
            fenced.push(`${lease.key.source}/${lease.key.partition}`);
            leases.delete(partition);
            readPositions.delete(partition);
            continue;
          }
          lease.stored = stored.nextPosition;
          if (stored.nextPosition !== null) lease.committed = stored.nextPosition;
          readPositions.set(partition, lease.committed);
        }
        if (fenced.length > 0) {
          observer?.fenced?.(fenced);
          scheduleReclaim();
        }
        return;
      } catch (err) {
        noteCommitFailure(err);
        await sleep(retryDelay(attempt + 1), abortController.signal);
      }
    }
  }

  function noteCommitFailure(err: unknown): void {
    commitFailures++;
    lastCommitError = describe(err);
    observer?.commitFailed?.(err);
  }

  /** Backoff after the n-th consecutive failure: the base delay doubled, at most 15×. */
  function retryDelay(failures: number): number {
    const base = options.retryDelayMs ?? 1000;
    return Math.min(base * 2 ** Math.max(0, failures - 1), base * 15);
  }

  async function commit(
    batchBuilder: ReturnType<typeof createBatchBuilder>,
    reached: Map<string, bigint>,
  ): Promise<void> {
    if (reached.size === 0) return;
    const started = performance.now();
    const entries = [...reached].flatMap(([partition, nextPosition]) => {
      const lease = leases.get(partition);
      return lease ? [{ partition, lease, nextPosition }] : [];
    });
    const batch: LakeBatch = {
      tables: batchBuilder.build(),
      positions: entries.map(({ lease, nextPosition }) => ({ lease, nextPosition, expected: lease.stored })),
    };
    const result = await writer.write(batch);
    for (const { partition, lease, nextPosition } of entries) {
      const current = leases.get(partition);
      if (current && current.epoch === lease.epoch) {
        current.committed = nextPosition;
        current.stored = nextPosition;
      }
    }
    commitFailures = 0;
    const duplicatesDropped = batchBuilder.duplicates + result.duplicates;
    observer?.batchCommitted?.({
      rows: batchBuilder.rows - batchBuilder.deadLetters - duplicatesDropped,
      deadLetters: batchBuilder.deadLetters,
      tables: batch.tables.length,
      latencyMs: performance.now() - started,
      conflicts: result.conflicts,
      lateEvents: result.lateEvents,
      duplicatesDropped,
    });
    await source
      .afterCommit(new Map(entries.map((e) => [e.partition, e.nextPosition])))
      .catch(() => undefined);
  }

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
    /** Ledger keys by partition id: built once, not once per record (and shared by its rows). */
    const keys = new Map<string, PartitionKey>();
    const keyOf = (partition: string): PartitionKey => {
      let key = keys.get(partition);
      if (!key) {
        key = source.keyOf(partition);
        keys.set(partition, key);
      }
      return key;
    };
    const newBuilder = () => createBatchBuilder({ dedupe: options.dedupe ?? true });
    let builder = newBuilder();
    let reached = new Map<string, bigint>();
    let bytes = 0;
    let openedAt = 0;
    /** The commit in flight, if any: the loop reads and routes the next batch meanwhile. */
    let inFlight: Promise<void> | undefined;
    /**
     * Set (synchronously, by the commit's own catch) when the commit in flight did not land.
     * The open batch was read on top of it, so both are dropped and reading restarts from
     * the lake's positions: {@link recover}. Nothing read after the last commit survives.
     */
    let dropped: "fenced" | "failed" | undefined;
    const resetOpenBatch = () => {
      builder = newBuilder();
      reached = new Map();
      bytes = 0;
      openedAt = 0;
    };
    const commitDetached = async (batchBuilder: typeof builder, batchReached: typeof reached) => {
      commitStartedAt = Date.now();
      try {
        await commit(batchBuilder, batchReached);
      } catch (err) {
        if (err instanceof PartitionFencedError) {
          observer?.fenced?.(err.partitions);
          // Another writer owns these now; forget them and let the group tell us again (or,
          // if it still gives them to us and says nothing new, claim them back: scheduleReclaim).
          for (const partition of [...leases.keys()]) {
            const key = source.keyOf(partition);
            if (err.partitions.includes(`${key.source}/${key.partition}`)) {
              leases.delete(partition);
              readPositions.delete(partition);
            }
          }
          scheduleReclaim();
          dropped ??= "fenced";
        } else {
          noteCommitFailure(err);
          dropped = "failed";
        }
      } finally {
        commitStartedAt = 0;
      }
    };
    /**
     * After a dropped commit: drop the open batch too, put every partition back at the
     * lake's position, and pause (growing with each failure in a row) unless it was a fence.
     */
    const recover = async (): Promise<void> => {
      await inFlight;
      inFlight = undefined;
      const kind = dropped;
      dropped = undefined;
      resetOpenBatch();
      await resyncFromLake();
      if (kind === "failed" && !draining) await sleep(retryDelay(commitFailures), abortController.signal);
    };
    /** Waits for the commit in flight; false when it was dropped (and recovered from). */
    const settle = async (): Promise<boolean> => {
      await inFlight;
      inFlight = undefined;
      if (dropped === undefined) return true;
      await recover();
      return false;
    };
    /**
     * Hands the open batch to a new commit once the previous one landed. Returns false when
     * the previous commit was dropped: the open batch, built on top of it, is dropped too.
     */
    const flush = async (): Promise<boolean> => {
      if (!(await settle())) return false;
      if (reached.size > 0) inFlight = commitDetached(builder, reached);
      resetOpenBatch();
      return true;
    };
    const flushAndSettle = async (): Promise<void> => {
      await flush();
      await settle();
    };
    try {
      while (!aborted) {
        if (fatal) throw fatal;
        if (!pendingAssignment && reclaimAt !== 0 && Date.now() >= reclaimAt) {
          // No newer assignment came: the fence was a stale claim; claim back what is ours.
          pendingAssignment = latestAssignment;
        }
        if (pendingAssignment) {
          // Commit what we have while we may still own it; a fenced commit is simply dropped.
          await flushAndSettle();
          // A writer that is stopping claims nothing: a claim would fence the next owner.
          if (aborted) break;
          const partitions = pendingAssignment;
          pendingAssignment = undefined;
          try {
            await applyAssignment(partitions);
            commitFailures = 0;
          } catch (err) {
            noteCommitFailure(err);
            pendingAssignment ??= partitions;
            await sleep(retryDelay(commitFailures), abortController.signal);
            continue;
          }
          resetOpenBatch();
        }
        if (draining) {
          await flushAndSettle();
          break;
        }
        if (readPositions.size === 0) {
          await settle();
          const reclaimDue = reclaimAt !== 0 && Date.now() >= reclaimAt;
          if (readPositions.size > 0 || pendingAssignment || reclaimDue || draining || aborted) continue;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          continue;
        }
        let polled: Awaited<ReturnType<Source["poll"]>>;
        pollStartedAt = Date.now();
        try {
          polled = await source.poll(readPositions, abortController.signal);
          pollFailingSince = 0;
        } catch (err) {
          // Broker or server unreachable for a moment: read again from the same positions.
          if (pollFailingSince === 0) pollFailingSince = Date.now();
          lastPollError = describe(err);
          observer?.pollFailed?.(err);
          await sleep(options.retryDelayMs ?? 1000, abortController.signal);
          continue;
        } finally {
          pollStartedAt = 0;
        }
        if (aborted) break;
        if (dropped !== undefined) {
          // The commit in flight was dropped while we polled: this poll sits on top of it.
          await settle();
          continue;
        }
        const advance = (partition: string, position: bigint) => {
          if (position > (readPositions.get(partition) ?? 0n)) {
            readPositions.set(partition, position);
            reached.set(partition, position);
          }
        };
        const full = () => builder.rows >= limits.maxBatchRows || bytes >= limits.maxBatchBytes;
        let rejected = false;
        for (const record of polled.records) {
          const expected = readPositions.get(record.partition);
          if (expected === undefined || record.position < expected) continue;
          const key = keyOf(record.partition);
          builder.add(
            routeRecord(
              record.value,
              { source: key.source, partition: key.partition, position: record.position },
              registry,
            ),
          );
          bytes += record.value.byteLength;
          advance(record.partition, record.position + 1n);
          if (openedAt === 0) openedAt = performance.now();
          if (full() && !(await flush())) {
            // Positions were put back to the lake's: the rest of this poll is read again.
            rejected = true;
            break;
          }
        }
        if (!rejected && !aborted) {
          // Past the last record: Kafka transaction markers also take offsets.
          for (const [partition, position] of polled.reached) {
            if (leases.has(partition)) advance(partition, position);
          }
          if (reached.size > 0 && openedAt === 0) openedAt = performance.now();
        }
        const due = full() || (openedAt > 0 && performance.now() - openedAt >= limits.flushIntervalMs);
        if (due && reached.size > 0) await flush();
      }
    } finally {
      cancelReclaim();
      // Never leave a commit running behind the caller's back (abort included).
      await inFlight;
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
    stalled() {
      if (commitFailures > 0) return `lake commits failing (${commitFailures} in a row): ${lastCommitError}`;
      // A commit that never settles (a storage write that hangs) stalls just as surely.
      if (commitStartedAt !== 0 && Date.now() - commitStartedAt > (options.commitStallMs ?? 120_000)) {
        return `a lake commit has been running for ${Math.round((Date.now() - commitStartedAt) / 1000)} s`;
      }
      if (readPositions.size === 0) return undefined;
      const now = Date.now();
      if (pollFailingSince !== 0) {
        return `source unreadable for ${Math.round((now - pollFailingSince) / 1000)} s: ${lastPollError}`;
      }
      // A read that hangs (no answer, no error) stalls progress just as surely.
      if (pollStartedAt !== 0 && now - pollStartedAt > (options.pollStallMs ?? 5000)) {
        return `a read from the source has been waiting for ${Math.round((now - pollStartedAt) / 1000)} s`;
      }
      return undefined;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
