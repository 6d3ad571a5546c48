import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, LangtianError } from "@langtian/errors";
import { LAKE, lakeConfigFrom, requireDuckdbExtensions } from "@langtian/lake";
import {
  createApiKeyGuard,
  createServiceApp,
  DrainOrder,
  isLoopbackHost,
  parseApiKeys,
  type ServiceApp,
} from "@langtian/service-kit";
import type { DestinationStream } from "pino";
import pkg from "../package.json" with { type: "json" };
import { ROLES, Role } from "./access/roles.ts";
import { type QueryApiConfig, queryApiConfigSchema } from "./config.ts";
import { type ConfinedLake, openConfinedLake } from "./lake/confined-lake.ts";
import { createQueryMetrics, type QueryMetrics, queryMetricsInterceptor } from "./metrics.ts";
import { queryRoutes } from "./routes.ts";
import { createQueryRunner, type QueryRunner } from "./sql/query-runner.ts";

/** Optional collaborators, for tests. */
export interface QueryApiDeps {
  /** Where the logger writes (default stdout). */
  readonly logDestination?: DestinationStream;
}

/** A built query API: the service app plus the lake reader, opened by `start()`. */
export interface QueryApiApp {
  readonly service: ServiceApp;
  readonly metrics: QueryMetrics;
  /** Opens the confined DuckDB and attaches the lake read-only (refusing to start unconfined). */
  start(): Promise<void>;
  /** Drains (cancels running statements after the kit's grace) and closes the server and DuckDB. */
  stop(): Promise<void>;
}

/** A call arrived before the lake was open. */
export class LakeNotOpenError extends LangtianError {
  override readonly name = "LakeNotOpenError";
  override readonly code = ErrorCode.unavailable;
}

/** Keys are required beyond loopback: without any, the service refuses to start there. */
export class UnprotectedQueryApiError extends LangtianError {
  override readonly name = "UnprotectedQueryApiError";
  override readonly code = ErrorCode.failedPrecondition;
}

/**
 * Builds the query API. Opens nothing and binds nothing until `start()`; `main.ts` listens.
 * Refuses a configuration without API keys on a non-loopback host at once.
 */
export function createApp(config: QueryApiConfig, deps: QueryApiDeps = {}): QueryApiApp {
  const keys = parseApiKeys(config.access.apiKeys, ROLES);
  if (keys.byDigest.size === 0 && !isLoopbackHost(config.host))
    throw new UnprotectedQueryApiError(
      `the query API listens on ${config.host} without access.apiKeys: configure keys, or listen on 127.0.0.1`,
    );
  let lake: ConfinedLake | undefined;
  let runner: QueryRunner | undefined;
  const service = createServiceApp({
    schema: queryApiConfigSchema,
    version: pkg.version,
    config,
    routes: (router) => routes(router),
    // Innermost, so it sees the handlers' own errors (statement rejections, timeouts).
    interceptors: [queryMetricsInterceptor(() => metrics)],
    ...(deps.logDestination === undefined ? {} : { logDestination: deps.logDestination }),
  });
  const metrics = createQueryMetrics(service.metrics, {
    running: () => runner?.running() ?? 0,
    waiting: () => runner?.waiting() ?? 0,
    snapshotAgeSeconds: async () => {
      if (runner === undefined) return undefined;
      return runner
        .run(
          async (c) => {
            const reader = await c.runAndReadAll(
              `SELECT epoch(now()) - epoch(max(snapshot_time)) FROM ${LAKE}.snapshots()`,
            );
            return Number(reader.getRows()[0]?.[0]);
          },
          { timeoutMs: 5_000 },
        )
        .catch(() => undefined);
    },
  });
  const guard = createApiKeyGuard(keys, {
    roles: ROLES,
    anonymousRole: Role.reader,
    rateLimit: { requestsPerSecond: config.access.requestsPerSecond, burst: config.access.burst },
    metrics: service.metrics,
    refusedMetric: "query_refused_total",
  });
  const routes = queryRoutes({
    runner: () => {
      if (runner === undefined) throw new LakeNotOpenError("the query API has not opened the lake yet");
      return runner;
    },
    guard,
    metrics,
    sql: {
      defaultTimeoutMs: config.limits.sqlTimeoutMs,
      maxTimeoutMs: config.limits.maxSqlTimeoutMs,
      maxRows: config.limits.maxSqlRows,
    },
    exportTimeoutMs: config.limits.exportTimeoutMs,
  });

  service.health.add({
    name: "lake",
    timeoutMs: 5_000,
    check: async () => {
      if (runner === undefined) return { healthy: false, detail: "not started" };
      const snapshot = await runner.run(
        async (c) =>
          String((await c.runAndReadAll(`SELECT id FROM ${LAKE}.current_snapshot()`)).getRows()[0]?.[0]),
        { timeoutMs: 4_000 },
      );
      return { healthy: true, detail: `snapshot ${snapshot}` };
    },
  });
  service.lifecycle.addCounters(() => ({ queriesRunning: runner?.running() ?? 0 }));
  service.lifecycle.onDrain({
    name: "close-lake",
    order: DrainOrder.closeConnections,
    run: async () => {
      lake?.close();
    },
  });

  return {
    service,
    metrics,
    async start() {
      const extensions = await requireDuckdbExtensions(config.lake.extensionDir);
      lake = await openConfinedLake(lakeConfigFrom(config.lake), extensions, config.sandbox);
      removeLeftoverExports(lake.tempDir, service.logger);
      runner = createQueryRunner(lake, config.limits.maxConcurrentQueries);
      service.logger.info(
        { catalog: config.lake.catalog, allowedDirectories: lake.allowedDirectories },
        "lake attached read-only and confined",
      );
    },
    async stop() {
      await service.drain();
      await service.close();
    },
  };
}

/** Export files a crash left in the temp folder (a running export deletes its own). */
function removeLeftoverExports(tempDir: string, log: ServiceApp["logger"]): void {
  const leftovers = readdirSync(tempDir).filter((name) => name.startsWith("export-"));
  for (const name of leftovers) rmSync(join(tempDir, name), { force: true });
  if (leftovers.length > 0)
    log.info({ files: leftovers.length, tempDir }, "removed export files a crash left behind");
}
