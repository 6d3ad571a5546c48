import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { createContextKey } from "@connectrpc/connect";
import type { DuckDBConnection } from "@duckdb/node-api";
import { QueryService } from "@langtian/proto";
import type { ApiKey, ApiKeyGuard } from "@langtian/service-kit";
import { Role } from "./access/roles.ts";
import type { QueryMetrics } from "./metrics.ts";
import { aggregate } from "./rpc/aggregate.ts";
import { browse } from "./rpc/browse.ts";
import { changes } from "./rpc/changes.ts";
import { DEFAULT_EXPORT_TIMEOUT_MS, runExport } from "./rpc/export.ts";
import { getEvent } from "./rpc/get-event.ts";
import { listSnapshots } from "./rpc/snapshots.ts";
import { runSql, type SqlLimits } from "./rpc/sql.ts";
import { describeTable, listTables } from "./rpc/tables.ts";
import type { QueryRunner } from "./sql/query-runner.ts";

/** What the query routes need. */
export interface QueryRouteDeps {
  /** The runner once the lake is open; throws `unavailable` before. */
  readonly runner: () => QueryRunner;
  readonly guard: ApiKeyGuard<Role>;
  readonly metrics: QueryMetrics;
  readonly sql: SqlLimits;
  /** Time limit of one export (`limits.exportTimeoutMs`); its default when not given. */
  readonly exportTimeoutMs?: number;
}

/** The caller, identified by the request gate before the message is read. */
const CALLER = createContextKey<ApiKey<Role> | undefined>(undefined, { description: "query caller" });

/** Largest request message (a SQL text with its parameters fits easily). */
const READ_MAX_BYTES = 256 * 1024;

/**
 * Connect routes: `langtian.query.v1.QueryService`. Every call is admitted from its headers
 * alone (key, role, rate limit) before its message is read; every read runs on a connection
 * of its own, bounded in number and time, and interrupted when the client goes away.
 */
export function queryRoutes(deps: QueryRouteDeps): (router: ConnectRouter) => void {
  const read = <T>(context: HandlerContext, work: (c: DuckDBConnection) => Promise<T>): Promise<T> =>
    deps.runner().run(work, { timeoutMs: deps.sql.defaultTimeoutMs, signal: context.signal });
  return (router) => {
    router.service(
      QueryService,
      {
        listTables: (request, context) => read(context, (c) => listTables(c, request)),
        describeTable: (request, context) => read(context, (c) => describeTable(c, request)),
        browse: (request, context) => read(context, (c) => browse(c, request)),
        getEvent: (request, context) => read(context, (c) => getEvent(c, request)),
        aggregate: (request, context) => read(context, (c) => aggregate(c, request)),
        listSnapshots: (request, context) => read(context, (c) => listSnapshots(c, request)),
        changes: (request, context) => read(context, (c) => changes(c, request)),
        sql: (request, context) => runSql(deps.runner(), deps.sql, request, context.signal),
        export: (request, context) =>
          runExport(
            deps.runner(),
            { timeoutMs: deps.exportTimeoutMs ?? DEFAULT_EXPORT_TIMEOUT_MS },
            deps.metrics,
            request,
            context.signal,
          ),
      },
      {
        readMaxBytes: READ_MAX_BYTES,
        requestGate(context) {
          context.values.set(
            CALLER,
            deps.guard.admit(context.requestHeader.get("authorization"), Role.reader),
          );
        },
      },
    );
  };
}
