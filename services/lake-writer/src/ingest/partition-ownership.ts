import type { DuckDBConnection } from "@duckdb/node-api";
import { claimPartition, type PartitionLease, readLedger } from "../lake/partition-ledger.ts";
import type { IngestObserver } from "./ingest-loop.ts";
import type { Source } from "./source.ts";

/**
 * One partition this writer owns: its lease, the position reading resumes from
 * (`committed`) and the position the ledger row holds (`stored`, null before the first
 * commit), which every commit checks so a batch is never built on a position the lake no
 * longer holds.
 */
export interface OwnedPartition extends PartitionLease {
  committed: bigint;
  stored: bigint | null;
  /** When this writer last committed a batch advancing the partition (ms since the epoch). */
  lastCommitAt?: number;
}

/** Options of {@link createPartitionOwnership}. */
export interface PartitionOwnershipOptions {
  source: Source;
  /** Connection for claims and ledger reads. */
  connection: DuckDBConnection;
  /** This writer's id, stored as the partitions' owner. */
  owner: string;
  observer?: IngestObserver;
  /** See {@link IngestLoopOptions.reclaimFencedAfterMs}. Default 30,000 ms. */
  reclaimFencedAfterMs?: number;
  /** Called when a scheduled reclaim is due, to wake a loop waiting for work. */
  onReclaimDue(): void;
}

/**
 * The partitions this writer owns in the lake: claims on assignment (bumping the fencing
 * epoch), the read positions, forgetting partitions another writer took, re-reading
 * positions from the ledger after a failure, and claiming back fenced partitions the group
 * still assigns to this writer.
 */
export interface PartitionOwnership {
  /** Owned partitions by partition id. */
  readonly leases: Map<string, OwnedPartition>;
  /** Read positions: ahead of `committed` while a batch is open. */
  readonly readPositions: Map<string, bigint>;
  /** The group's latest assignment to this writer, as last applied. */
  readonly latestAssignment: readonly string[];
  /** Claims the assigned partitions not owned yet and lets go of the others. */
  apply(partitions: readonly string[]): Promise<void>;
  /**
   * Puts every owned partition back at the position its ledger row holds; drops (and
   * reports as fenced) those whose ledger names a newer claim. One attempt: throws when the
   * catalog does not answer.
   */
  resync(): Promise<void>;
  /** Forgets the partitions (ledger `source/partition` names) another writer fenced us on. */
  forgetFenced(fenced: readonly string[]): void;
  /** After a fence: claim back, later, what the group still assigns to this writer. */
  scheduleReclaim(): void;
  cancelReclaim(): void;
  /** True once a scheduled reclaim is due. */
  reclaimDue(): boolean;
}

/** Creates the partition ownership of one ingest loop (see {@link PartitionOwnership}). */
export function createPartitionOwnership(options: PartitionOwnershipOptions): PartitionOwnership {
  const { source, connection, owner, observer } = options;
  const leases = new Map<string, OwnedPartition>();
  const readPositions = new Map<string, bigint>();
  let latestAssignment: readonly string[] = [];
  /** When to claim back fenced partitions the group still assigns to us; 0: none pending. */
  let reclaimAt = 0;
  let reclaimTimer: NodeJS.Timeout | undefined;

  const forget = (partition: string) => {
    leases.delete(partition);
    readPositions.delete(partition);
  };

  const ownership: PartitionOwnership = {
    leases,
    readPositions,
    get latestAssignment() {
      return latestAssignment;
    },
    async apply(partitions) {
      ownership.cancelReclaim();
      latestAssignment = partitions;
      const wanted = new Set(partitions);
      for (const [partition, lease] of [...leases]) {
        // A partition kept across the assignment may have been owned by another writer in
        // between (two rebalances seen as one): if the lake names a newer claim, claim again
        // instead of committing on a stale epoch and waiting for the reclaim.
        const stored = wanted.has(partition) ? await readLedger(connection, lease.key) : undefined;
        if (
          !wanted.has(partition) ||
          !stored ||
          stored.epoch !== lease.epoch ||
          stored.owner !== lease.owner
        ) {
          forget(partition);
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
    },
    async resync() {
      const fenced: string[] = [];
      for (const [partition, lease] of [...leases]) {
        const stored = await readLedger(connection, lease.key);
        if (!stored || stored.epoch !== lease.epoch || stored.owner !== lease.owner) {
          fenced.push(`${lease.key.source}/${lease.key.partition}`);
          forget(partition);
          continue;
        }
        lease.stored = stored.nextPosition;
        // A commit whose COMMIT reached the catalog before its connection failed may have
        // landed after all: the ledger, not our memory, says where to resume.
        if (stored.nextPosition !== null) lease.committed = stored.nextPosition;
        readPositions.set(partition, lease.committed);
      }
      if (fenced.length > 0) {
        observer?.fenced?.(fenced);
        ownership.scheduleReclaim();
      }
    },
    forgetFenced(fenced) {
      for (const partition of [...leases.keys()]) {
        const key = source.keyOf(partition);
        if (fenced.includes(`${key.source}/${key.partition}`)) forget(partition);
      }
    },
    scheduleReclaim() {
      // Only a group-assigned source is the authority on ownership: elsewhere the newest
      // claim is meant to win, so a fence is final.
      if (!source.groupAssigned || reclaimAt !== 0 || !latestAssignment.some((p) => !leases.has(p))) return;
      const delay = options.reclaimFencedAfterMs ?? 30_000;
      reclaimAt = Date.now() + delay;
      reclaimTimer = setTimeout(options.onReclaimDue, delay);
      reclaimTimer.unref();
    },
    cancelReclaim() {
      reclaimAt = 0;
      clearTimeout(reclaimTimer);
    },
    reclaimDue() {
      return reclaimAt !== 0 && Date.now() >= reclaimAt;
    },
  };
  return ownership;
}
