import type { Registry } from "@bufbuild/protobuf";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { BatchWriter, LakeBatch } from "../lake/batch-writer.ts";
import { PartitionFencedError } from "../lake/lake-transaction.ts";
import { claimPartition, type PartitionKey, type PartitionLease } from "../lake/partition-ledger.ts";
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
  /** Pause after a failed commit before reading again. Default 1000 ms. */
  retryDelayMs?: number;
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
  const leases = new Map<string, PartitionLease & { committed: bigint }>();
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
    for (const partition of [...leases.keys()]) {
      if (!wanted.has(partition)) {
        leases.delete(partition);
        readPositions.delete(partition);
      }
    }
    for (const partition of partitions) {
      if (leases.has(partition)) continue;
      const lease = await claimPartition(connection, source.keyOf(partition), owner);
      const committed = lease.nextPosition ?? (await source.initialPosition(partition));
      leases.set(partition, { ...lease, committed });
      readPositions.set(partition, committed);
    }
    observer?.assigned?.(partitions);
  }

  function rewind(): void {
    for (const [partition, lease] of leases) readPositions.set(partition, lease.committed);
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
      positions: entries.map(({ lease, nextPosition }) => ({ lease, nextPosition })),
    };
    const result = await writer.write(batch);
    for (const { partition, lease, nextPosition } of entries) {
      const current = leases.get(partition);
      if (current && current.epoch === lease.epoch) current.committed = nextPosition;
    }
    observer?.batchCommitted?.({
      rows: batchBuilder.rows - batchBuilder.deadLetters,
      deadLetters: batchBuilder.deadLetters,
      tables: batch.tables.length,
      latencyMs: performance.now() - started,
      conflicts: result.conflicts,
      lateEvents: result.lateEvents,
    });
    await source
      .afterCommit(new Map(entries.map((e) => [e.partition, e.nextPosition])))
      .catch(() => undefined);
  }

  async function run(): Promise<void> {
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
    let builder = createBatchBuilder();
    let reached = new Map<string, bigint>();
    let bytes = 0;
    let openedAt = 0;
    /**
     * The commit in flight, if any: the loop reads and routes the next batch meanwhile.
     * Resolves false when that commit was dropped (fenced or failed) and positions rewound.
     */
    let inFlight: Promise<boolean> | undefined;
    /** Bumped by every rewind: a batch opened before it was built on positions that no longer hold. */
    let generation = 0;
    let openGeneration = 0;
    const resetOpenBatch = () => {
      builder = createBatchBuilder();
      reached = new Map();
      bytes = 0;
      openedAt = 0;
      openGeneration = generation;
    };
    const commitDetached = async (
      batchBuilder: typeof builder,
      batchReached: typeof reached,
    ): Promise<boolean> => {
      try {
        await commit(batchBuilder, batchReached);
        return true;
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
        } else {
          observer?.commitFailed?.(err);
        }
        generation++;
        rewind();
        if (!(err instanceof PartitionFencedError))
          await sleep(options.retryDelayMs ?? 1000, abortController.signal);
        return false;
      }
    };
    /** Waits for the commit in flight; false when it failed (the open batch is then stale). */
    const settle = async (): Promise<boolean> => {
      const pending = inFlight;
      inFlight = undefined;
      return pending ? pending : true;
    };
    /**
     * Hands the open batch to a new commit once the previous one succeeded. Returns false
     * when the previous commit failed: the open batch, built on top of it, is dropped.
     */
    const flush = async (): Promise<boolean> => {
      const ok = await settle();
      if (!ok || openGeneration !== generation) {
        resetOpenBatch();
        return false;
      }
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
          const partitions = pendingAssignment;
          pendingAssignment = undefined;
          try {
            await applyAssignment(partitions);
          } catch (err) {
            observer?.commitFailed?.(err);
            pendingAssignment ??= partitions;
            await sleep(options.retryDelayMs ?? 1000, abortController.signal);
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
        try {
          polled = await source.poll(readPositions, abortController.signal);
        } catch (err) {
          // Broker or server unreachable for a moment: read again from the same positions.
          observer?.pollFailed?.(err);
          await sleep(options.retryDelayMs ?? 1000, abortController.signal);
          continue;
        }
        if (aborted) break;
        if (openGeneration !== generation) {
          // A commit failed while we polled: drop what was built on it and read again.
          resetOpenBatch();
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
            // Positions were rewound to the lake's: the rest of this poll is read again.
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
      await inFlight?.catch(() => false);
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
