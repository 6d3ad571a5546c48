import type { Registry } from "@bufbuild/protobuf";
import type { EventSpan, EventTracer } from "@langtian/service-kit";
import type { PartitionKey } from "../lake/partition-ledger.ts";
import { type BatchBuilder, createBatchBuilder } from "../tables/batch-builder.ts";
import { routeRecord } from "../tables/event-tables.ts";
import type { BatchLimits } from "./ingest-loop.ts";
import type { Source, SourceRecord } from "./source.ts";

/** A batch handed over for commit: its routed rows and the position each partition reached. */
export interface ClosedBatch {
  readonly builder: BatchBuilder;
  readonly reached: Map<string, bigint>;
  /** The recorded spans of its events, ended when the commit lands or fails. */
  readonly spans: EventSpan[];
}

/** Options of {@link createOpenBatch}. */
export interface OpenBatchOptions {
  source: Source;
  registry: Registry;
  limits: BatchLimits;
  /** Drop events already in the batch (see {@link IngestLoopOptions.dedupe}). */
  dedupe: boolean;
  /** The loop's read positions, advanced as records are taken. */
  readPositions: Map<string, bigint>;
  /** Continues each event's trace: a span from its arrival here to the commit of its batch. */
  tracer?: EventTracer | undefined;
}

/**
 * The batch being collected: records routed to their tables, the position each partition
 * reached, and the limits (rows, bytes, age) that say when it is due for commit.
 */
export interface OpenBatch {
  /** Partitions with a position to commit; empty while there is nothing to commit. */
  readonly reached: ReadonlyMap<string, bigint>;
  /**
   * Routes one polled record into the batch and advances its partition. Returns false
   * (taking nothing) for a record of a partition not owned or behind its read position.
   */
  add(record: SourceRecord): boolean;
  /** Advances a partition past records that carry no event (Kafka transaction markers). */
  advance(partition: string, position: bigint): void;
  /** Starts the age clock when the batch holds a position to commit but no record yet. */
  markOpened(): void;
  /** True when the row or byte limit is reached. */
  full(): boolean;
  /** True when full or older than the flush interval. */
  due(): boolean;
  /** Hands the batch over and starts a new, empty one. */
  take(): ClosedBatch;
  /** Drops the batch (its records are read again). */
  reset(): void;
}

/** Creates the open batch of one ingest loop (see {@link OpenBatch}). */
export function createOpenBatch(options: OpenBatchOptions): OpenBatch {
  const { source, registry, limits, readPositions, tracer } = options;
  const tracing = tracer?.exporting === true;
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
  const newBuilder = () => createBatchBuilder({ dedupe: options.dedupe });
  let builder = newBuilder();
  let reached = new Map<string, bigint>();
  let spans: EventSpan[] = [];
  let bytes = 0;
  let openedAt = 0;

  const batch: OpenBatch = {
    get reached() {
      return reached;
    },
    add(record) {
      const expected = readPositions.get(record.partition);
      if (expected === undefined || record.position < expected) return false;
      const key = keyOf(record.partition);
      const routed = routeRecord(
        record.value,
        { source: key.source, partition: key.partition, position: record.position },
        registry,
      );
      builder.add(routed);
      if (tracing) traceRecord(record, routed);
      bytes += record.value.byteLength;
      batch.advance(record.partition, record.position + 1n);
      if (openedAt === 0) openedAt = performance.now();
      return true;
    },
    advance(partition, position) {
      if (position > (readPositions.get(partition) ?? 0n)) {
        readPositions.set(partition, position);
        reached.set(partition, position);
      }
    },
    markOpened() {
      if (reached.size > 0 && openedAt === 0) openedAt = performance.now();
    },
    full() {
      return builder.rows >= limits.maxBatchRows || bytes >= limits.maxBatchBytes;
    },
    due() {
      return batch.full() || (openedAt > 0 && performance.now() - openedAt >= limits.flushIntervalMs);
    },
    take() {
      const closed = { builder, reached, spans };
      spans = [];
      batch.reset();
      return closed;
    },
    reset() {
      for (const span of spans) span.end(undefined, "batch dropped: its records are read again");
      spans = [];
      builder = newBuilder();
      reached = new Map();
      bytes = 0;
      openedAt = 0;
    },
  };

  /** Starts the event's lake span (a child of the bridge's, or of the collector's on the direct path). */
  function traceRecord(record: SourceRecord, routed: ReturnType<typeof routeRecord>): void {
    const envelope = routed.kind === "row" ? routed.envelope : undefined;
    const parent = record.traceparent ?? envelope?.traceContext?.traceparent;
    const span = tracer?.continueEvent("lake_writer.commit", Date.now(), parent, "consumer");
    if (span === undefined || !span.recording) return;
    span.setAttributes({
      "messaging.operation.type": "process",
      "langtian.source_partition": record.partition,
      "langtian.source_position": String(record.position),
      ...(envelope === undefined
        ? { "langtian.dead_letter": true }
        : { "langtian.event_id": envelope.eventId, "langtian.event_type": envelope.eventType }),
    });
    spans.push(span);
  }
  return batch;
}
