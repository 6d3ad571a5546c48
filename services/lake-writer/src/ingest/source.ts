import type { PartitionKey } from "../lake/partition-ledger.ts";

/** One record read from a source partition. */
export interface SourceRecord {
  /** Partition id inside the source (`"events:3"` for partition 3 of Kafka topic events). */
  partition: string;
  /** Kafka offset or JetStream stream sequence of this record. */
  position: bigint;
  value: Uint8Array;
  /**
   * The record's `traceparent` header (the bridge's span), when the source was asked to read
   * it (spans are exported); else the envelope's own trace context is continued.
   */
  traceparent?: string;
}

/** What one poll returned. */
export interface PollResult {
  records: SourceRecord[];
  /**
   * Position each polled partition has reached, which can be past the last record
   * (Kafka transaction markers occupy offsets too). Committed with the batch.
   */
  reached: Map<string, bigint>;
}

/** Listener the ingest loop gives a source. */
export interface AssignmentListener {
  /** The full set of partitions this instance should own now (after each rebalance). */
  onAssignment(partitions: readonly string[]): void;
  /** The source lost its connection to the group or broker for good. */
  onError(err: Error): void;
}

/**
 * A partitioned, replayable input (Kafka topic, JetStream stream). The ingest loop owns
 * the positions: the source reads from wherever it is told, so the lake stays the
 * single source of truth for what was written.
 */
export interface Source {
  /**
   * True when a group protocol assigns the partitions and is the authority on who owns them
   * (Kafka's consumer group): a fence on a partition the group still assigns to this instance
   * then comes from a stale claim, and the loop claims it back. False (the default) when the
   * newest claim is meant to win (the JetStream source: a new instance takes over).
   */
  readonly groupAssigned?: boolean;
  /** The lake ledger key of a partition id (`{ source: "kafka:<topic>", partition: "3" }`). */
  keyOf(partition: string): PartitionKey;
  start(listener: AssignmentListener): Promise<void>;
  /** Reads the next records of the given partitions from the given positions. */
  poll(positions: ReadonlyMap<string, bigint>, signal: AbortSignal): Promise<PollResult>;
  /** Where to start a partition the lake knows nothing about. */
  initialPosition(partition: string): Promise<bigint>;
  /** Called after a successful lake commit (Kafka: commit offsets for lag monitoring). */
  afterCommit(positions: ReadonlyMap<string, bigint>): Promise<void>;
  /** Records behind the end of each owned partition, as of the last poll. */
  lag(positions: ReadonlyMap<string, bigint>): Map<string, bigint>;
  close(): Promise<void>;
}
