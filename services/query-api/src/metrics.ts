import type { MetricFactory } from "@langtian/service-kit";
import type { Counter, Gauge } from "prom-client";

/** The query API's own metrics (latency per RPC comes from the kit's RPC metrics). */
export interface QueryMetrics {
  /** Rows returned, by RPC. */
  readonly rowsReturned: Counter<"rpc">;
  /** Statements refused before they ran, by reason. */
  readonly statementsRejected: Counter<"reason">;
  /** Statements interrupted at their time limit. */
  readonly timeouts: Counter;
}

/** Registers the metrics; `snapshotAgeSeconds` and the running/waiting gauges read at scrape time. */
export function createQueryMetrics(
  factory: MetricFactory,
  read: {
    running: () => number;
    waiting: () => number;
    snapshotAgeSeconds: () => Promise<number | undefined>;
  },
): QueryMetrics {
  factory.gauge({
    name: "queries_running",
    help: "Statements running on the lake now.",
    collect(this: Gauge) {
      this.set(read.running());
    },
  });
  factory.gauge({
    name: "queries_waiting",
    help: "Statements waiting for a slot (limits.maxConcurrentQueries).",
    collect(this: Gauge) {
      this.set(read.waiting());
    },
  });
  factory.gauge({
    name: "snapshot_age_seconds",
    help: "Now minus the time of the lake's latest snapshot: how stale what readers see is.",
    async collect(this: Gauge) {
      const age = await read.snapshotAgeSeconds();
      if (age !== undefined) this.set(age);
    },
  });
  return {
    rowsReturned: factory.counter({
      name: "rows_returned_total",
      help: "Rows returned, by RPC.",
      labelNames: ["rpc"],
    }),
    statementsRejected: factory.counter({
      name: "statements_rejected_total",
      help: "Statements refused before they ran (not one read-only SELECT of the lake), by reason.",
      labelNames: ["reason"],
    }),
    timeouts: factory.counter({
      name: "query_timeouts_total",
      help: "Statements interrupted at their time limit.",
    }),
  };
}
