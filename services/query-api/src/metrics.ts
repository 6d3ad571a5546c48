import type { Message } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import type { MetricFactory } from "@langtian/service-kit";
import type { Counter, Gauge } from "prom-client";
import { QueryTimeoutError } from "./sql/query-runner.ts";
import { StatementRejectedError } from "./sql/statement-guard.ts";

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

/**
 * A Connect interceptor feeding {@link QueryMetrics} from what the RPCs answer, so no handler
 * counts for itself: `rows_returned_total{rpc}` with the rows of each response (of each row
 * batch for streams, so a cancelled stream counts what it sent), `statements_rejected_total`
 * with a {@link StatementRejectedError}'s reason and `query_timeouts_total` on a
 * {@link QueryTimeoutError}. It must run inside the kit's error mapping (the app's
 * `interceptors`), where errors are still the handlers' own. `metrics` is read per call, so the
 * interceptor can be made before the metrics are registered.
 */
export function queryMetricsInterceptor(metrics: () => QueryMetrics): Interceptor {
  const failed = (err: unknown) => {
    if (err instanceof StatementRejectedError) metrics().statementsRejected.inc({ reason: err.reason });
    else if (err instanceof QueryTimeoutError) metrics().timeouts.inc();
  };
  return (next) => async (req) => {
    const rpc = req.method.name;
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (err) {
      failed(err);
      throw err;
    }
    if (!res.stream) {
      metrics().rowsReturned.inc({ rpc }, rowsIn(res.message));
      return res;
    }
    const messages = res.message;
    async function* observed() {
      try {
        for await (const message of messages) {
          const rows = rowsIn(message);
          if (rows > 0) metrics().rowsReturned.inc({ rpc }, rows);
          yield message;
        }
      } catch (err) {
        failed(err);
        throw err;
      }
    }
    return { ...res, message: observed() };
  };
}

/**
 * Rows one response message carries: result rows, tables, snapshots, columns of a described
 * table, the one event found; 0 for the parts of a stream that carry none (headers, summaries,
 * export chunks).
 */
export function rowsIn(message: Message): number {
  const m = message as Message & Record<string, unknown>;
  switch (m.$typeName) {
    case "langtian.query.v1.ListTablesResponse":
      return (m.tables as unknown[]).length;
    case "langtian.query.v1.DescribeTableResponse":
      return (m.columns as unknown[]).length;
    case "langtian.query.v1.ListSnapshotsResponse":
      return (m.snapshots as unknown[]).length;
    case "langtian.query.v1.GetEventResponse":
      return m.row === undefined ? 0 : 1;
    case "langtian.query.v1.SqlResponse": {
      const part = m.part as { case?: string; value?: { rows?: unknown[] } };
      return part.case === "rows" ? (part.value?.rows?.length ?? 0) : 0;
    }
    default:
      // Browse, Aggregate, Changes: a `rows` list.
      return Array.isArray(m.rows) ? m.rows.length : 0;
  }
}
