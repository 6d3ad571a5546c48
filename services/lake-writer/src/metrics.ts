import type { ServiceMetrics } from "@langtian/service-kit";
import type { Counter, Gauge, Histogram } from "prom-client";
import type { IngestObserver } from "./ingest/ingest-loop.ts";

/** The lake writer's own metrics (`langtian_lake_writer_*`). */
export interface LakeWriterMetrics {
  rowsWritten: Counter;
  batchesWritten: Counter;
  deadLetters: Counter;
  flushLatency: Histogram;
  commitConflicts: Counter;
  commitFailures: Counter;
  fencedPartitions: Counter;
  partitionLag: Gauge<"partition">;
  ownedPartitions: Gauge;
  maintenanceRuns: Counter;
  pollFailures: Counter;
  lateEvents: Counter;
  maintenanceFailures: Counter;
  duplicatesDropped: Counter;
  /** Feeds the counters from the ingest loop. */
  observer: IngestObserver;
}

/** Registers the lake writer's metrics on the app's registry. */
export function createLakeWriterMetrics(
  metrics: ServiceMetrics,
  lag: () => Map<string, bigint>,
): LakeWriterMetrics {
  const rowsWritten = metrics.counter({
    name: "rows_written_total",
    help: "Event rows committed to the lake.",
  });
  const batchesWritten = metrics.counter({
    name: "batches_written_total",
    help: "Lake commits (one per batch).",
  });
  const deadLetters = metrics.counter({
    name: "dead_letters_total",
    help: "Records written to the dead-letter table.",
  });
  const flushLatency = metrics.histogram({
    name: "sink_flush_latency_seconds",
    help: "Time to commit one batch to the lake (routing done, stage + transaction + commit).",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  const commitConflicts = metrics.counter({
    name: "commit_conflicts_total",
    help: "Lake commits that conflicted with another writer and were run again.",
  });
  const commitFailures = metrics.counter({
    name: "commit_failures_total",
    help: "Batches dropped after a failed commit (read again from the lake's positions).",
  });
  const fencedPartitions = metrics.counter({
    name: "fenced_partitions_total",
    help: "Partitions this instance lost to a newer owner at commit time.",
  });
  const ownedPartitions = metrics.gauge({
    name: "owned_partitions",
    help: "Partitions this instance writes.",
  });
  const partitionLag = metrics.gauge({
    name: "partition_lag_records",
    help: "Records between the lake's committed position and the end of the partition.",
    labelNames: ["partition"],
    collect() {
      this.reset();
      for (const [partition, value] of lag()) this.set({ partition }, Number(value));
    },
  });
  const maintenanceRuns = metrics.counter({
    name: "maintenance_runs_total",
    help: "Completed lake maintenance runs.",
  });
  const maintenanceFailures = metrics.counter({
    name: "maintenance_failures_total",
    help: "Lake maintenance runs that failed (retried at the next interval).",
  });
  const pollFailures = metrics.counter({
    name: "poll_failures_total",
    help: "Failed reads from the source (retried).",
  });
  const duplicatesDropped = metrics.counter({
    name: "duplicates_dropped_total",
    help: "Events left out because the lake (or the same batch) already held their event_id.",
  });
  const lateEvents = metrics.counter({
    name: "late_events_total",
    help: "Events too late for their window (kept in their table, not aggregated).",
  });
  return {
    duplicatesDropped,
    lateEvents,
    pollFailures,
    maintenanceRuns,
    maintenanceFailures,
    rowsWritten,
    batchesWritten,
    deadLetters,
    flushLatency,
    commitConflicts,
    commitFailures,
    fencedPartitions,
    partitionLag,
    ownedPartitions,
    observer: {
      batchCommitted(info) {
        rowsWritten.inc(info.rows);
        batchesWritten.inc();
        if (info.deadLetters > 0) deadLetters.inc(info.deadLetters);
        if (info.conflicts > 0) commitConflicts.inc(info.conflicts);
        if (info.lateEvents > 0) lateEvents.inc(info.lateEvents);
        if (info.duplicatesDropped > 0) duplicatesDropped.inc(info.duplicatesDropped);
        flushLatency.observe(info.latencyMs / 1000);
      },
      fenced(partitions) {
        fencedPartitions.inc(partitions.length);
      },
      commitFailed() {
        commitFailures.inc();
      },
      assigned(partitions) {
        ownedPartitions.set(partitions.length);
      },
    },
  };
}
