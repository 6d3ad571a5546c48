/**
 * `createServiceApp`: builds a service's Fastify app serving Connect, gRPC and gRPC-Web on one
 * port over HTTP/1.1 and h2c, with `/healthz`, `/readyz`, `/metrics`, the `LifecycleService`,
 * operator auth on mutating RPCs, a per-app metrics registry and a drain lifecycle.
 * It never listens by itself: `main.ts` calls `listen()`, tests use `app.fastify.inject()`.
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { DescMethod } from "@bufbuild/protobuf";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { LifecycleService } from "@langtian/proto";
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import { fastify, LogController } from "fastify";
import type { DestinationStream, Logger } from "pino";
import type { OperatorAuth } from "./auth.ts";
import { createOperatorAuth, operatorAuthInterceptor, requireOperator } from "./auth.ts";
import type { ConfigSchema } from "./config-schema.ts";
import { describeConfig, secretPaths } from "./config-schema.ts";
import { connectEdgePlugin } from "./connect-edge.ts";
import type { DualProtocolServer, DualRequestHandler } from "./dual-protocol-server.ts";
import { createDualProtocolServer } from "./dual-protocol-server.ts";
import type { DependencyCheck, HealthChecks } from "./health.ts";
import { createHealthChecks } from "./health.ts";
import type { HealthReport, ServiceIdentity } from "./health-report.ts";
import { buildHealthReport } from "./health-report.ts";
import { registerHttpRefusals } from "./http-refusals.ts";
import type { DrainOptions, DrainResult, Lifecycle } from "./lifecycle.ts";
import { createLifecycle, LifecyclePhase } from "./lifecycle.ts";
import { createLifecycleServiceImpl } from "./lifecycle-service.ts";
import { createLogger } from "./logger.ts";
import type { ServiceMetrics } from "./metrics.ts";
import { createMetrics } from "./metrics.ts";
import { rpcMetricsInterceptor } from "./rpc-metrics.ts";
import type { RefusalCounter } from "./rpc-refusals.ts";
import { createRefusalCounter } from "./rpc-refusals.ts";
import type { ServiceConfig } from "./service-config.ts";

/** Time between aborting in-flight handlers and cutting the connections still open, in ms. */
export const FORCE_CLOSE_AFTER_ABORT_MS = 500;

/** Options of `createServiceApp`. */
export interface ServiceAppOptions {
  /** Service name; defaults to `schema.service`. One of the two is required. */
  readonly name?: string;
  /** The config schema: gives the name, the secret paths to redact and the token's env-var name. */
  readonly schema?: ConfigSchema;
  /** Service version (e.g. from package.json). */
  readonly version: string;
  /** The loaded config; only the shared `serviceFields` are read here. */
  readonly config: ServiceConfig;
  /** The service's own Connect routes (LifecycleService is added automatically). */
  readonly routes?: (router: ConnectRouter) => void;
  /** The service's mutating RPCs: they require the operator token (Lifecycle Drain always does). */
  readonly mutatingMethods?: readonly DescMethod[];
  /** Dependency checks to start with (more can be added with `app.health.add`). */
  readonly checks?: readonly DependencyCheck[];
  /** Extra Connect interceptors, run after auth. */
  readonly interceptors?: readonly Interceptor[];
  /**
   * Largest request message a Connect procedure reads, in bytes (default 1 MiB); more is
   * refused with `resource_exhausted` without reading it. A service that takes larger
   * messages passes `{ readMaxBytes }` to `router.service(...)`.
   */
  readonly readMaxBytes?: number;
  /** A logger to use instead of creating one (its bindings are kept as they are). */
  readonly logger?: Logger;
  /** Where the created logger writes (default stdout). Ignored when `logger` is given. */
  readonly logDestination?: DestinationStream;
}

/** The app's Fastify instance type (the pino `Logger` is the app logger). */
export type ServiceFastify = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  Logger
>;

/** Where the app listens. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`, usable by Connect, gRPC and curl. */
  readonly url: string;
}

/** A built service. */
export interface ServiceApp extends ServiceIdentity {
  /** The Fastify instance: add admin HTTP routes here before `listen()`; test with `inject()`. */
  readonly fastify: ServiceFastify;
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly health: HealthChecks;
  readonly lifecycle: Lifecycle;
  readonly operatorAuth: OperatorAuth;
  /**
   * Counts refused requests (`rpc_requests_refused_total`). Connect routes and Fastify's error
   * path count by themselves; use it for refusals answered some other way.
   */
  readonly refusals: RefusalCounter;
  /** Fastify `preHandler` for admin routes that mutate: `{ preHandler: app.requireOperator }`. */
  readonly requireOperator: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** Runs the dependency checks and reports identity, liveness, readiness and phase. */
  healthReport(): Promise<HealthReport>;
  /** Binds `config.host:config.port` (port 0 = free port), then marks the lifecycle running. */
  listen(): Promise<ListenAddress>;
  /** Starts (or joins) the drain; same as `lifecycle.drain`. */
  drain(options?: DrainOptions): Promise<DrainResult>;
  /**
   * Closes the server: stops accepting, lets in-flight requests finish for up to `graceMs`
   * (default `config.shutdownDeadlineMs`), then aborts their handlers' signals (RPCs answer
   * `Unavailable`) and `FORCE_CLOSE_AFTER_ABORT_MS` later cuts the connections left. Idempotent.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Builds the app. Never listens.
 *
 * Routes: `GET /healthz` (200 while alive), `GET /readyz` (200 when running and every required
 * dependency is healthy, else 503; JSON health report), `GET /metrics` (Prometheus text),
 * `langtian.lifecycle.v1.LifecycleService/*` plus `routes` over Connect, gRPC and gRPC-Web.
 */
export function createServiceApp(options: ServiceAppOptions): ServiceApp {
  const service = options.name ?? options.schema?.service;
  if (service === undefined) throw new TypeError("createServiceApp needs `name` or `schema`");
  const { config, version } = options;
  const instanceId = config.instanceId ?? randomUUID();
  const identity: ServiceIdentity = { service, instanceId, version };

  const logger =
    options.logger ??
    createLogger({
      ...identity,
      level: config.logLevel,
      secretPaths: options.schema === undefined ? ["operatorToken"] : secretPaths(options.schema),
      ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
    });
  const metrics = createMetrics({ service, instanceId });
  const refusals = createRefusalCounter(metrics);
  const health = createHealthChecks(options.checks);
  const lifecycle = createLifecycle({ drainDeadlineMs: config.drainDeadlineMs, logger });
  const tokenEnv =
    options.schema && describeConfig(options.schema).find((f) => f.path === "operatorToken")?.env;
  const operatorAuth = createOperatorAuth(config.operatorToken, tokenEnv);
  const healthReport = () => buildHealthReport(identity, lifecycle, health);

  metrics.gauge({
    name: "lifecycle_phase",
    help: "1 for the current lifecycle phase of this instance, 0 for the others.",
    labelNames: ["phase"],
    collect() {
      for (const p of Object.values(LifecyclePhase)) this.set({ phase: p }, p === lifecycle.phase ? 1 : 0);
    },
  });

  // Abort in-flight RPCs ourselves when the close grace runs out (the Connect plugin's own
  // shutdownTimeoutMs leaves a timer that keeps the process alive after close).
  const shutdown = new AbortController();
  const shutdownError = new ConnectError("server is shutting down", Code.Unavailable);
  let graceMs = config.shutdownDeadlineMs;

  let server: DualProtocolServer | undefined;
  const app = fastify({
    loggerInstance: logger,
    // Metrics count requests; per-request log lines would mostly be /metrics scrapes.
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: (handler) => {
      // Fastify's handler accepts both protocols' compat request/response objects at run
      // time; its types only know the HTTP/1.1 ones.
      server = createDualProtocolServer(handler as DualRequestHandler);
      return server as unknown as http.Server;
    },
  });

  // Errors and unknown routes of plain HTTP routes answer with a Connect code and are counted.
  registerHttpRefusals(app, refusals);
  app.register(connectEdgePlugin, {
    routes: (router) => {
      router.service(LifecycleService, createLifecycleServiceImpl({ identity, lifecycle, healthReport }));
      options.routes?.(router);
    },
    interceptors: [
      rpcMetricsInterceptor(metrics),
      operatorAuthInterceptor(operatorAuth, [
        LifecycleService.method.drain,
        ...(options.mutatingMethods ?? []),
      ]),
      ...(options.interceptors ?? []),
    ],
    shutdownSignal: shutdown.signal,
    refusals,
    ...(options.readMaxBytes === undefined ? {} : { readMaxBytes: options.readMaxBytes }),
  });

  app.get("/healthz", async () => ({ live: true, phase: lifecycle.phase, ...identity }));
  app.get("/readyz", async (_request, reply) => {
    const report = await healthReport();
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  app.get("/metrics", async (_request, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.registry.contentType).send(text);
  });

  // When the grace runs out: abort handlers (they answer Unavailable), then, a moment later,
  // cut whatever connection is still open so close() always finishes.
  const graceTimers: NodeJS.Timeout[] = [];
  app.addHook("preClose", async () => {
    graceTimers.push(
      setTimeout(() => shutdown.abort(shutdownError), graceMs),
      setTimeout(() => server?.closeAllConnections(), graceMs + FORCE_CLOSE_AFTER_ABORT_MS),
    );
    // Do not keep a closing process alive just for these timers.
    for (const t of graceTimers) t.unref();
  });
  app.addHook("onClose", async () => {
    for (const t of graceTimers) clearTimeout(t);
  });

  let closing: Promise<void> | undefined;
  return {
    ...identity,
    fastify: app,
    config,
    logger,
    metrics,
    health,
    lifecycle,
    operatorAuth,
    refusals,
    requireOperator: requireOperator(operatorAuth),
    healthReport,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const address = server?.address() as AddressInfo | null | undefined;
      if (address === null || address === undefined) throw new Error("server did not report its address");
      const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
      lifecycle.markRunning();
      logger.info({ host: address.address, port: address.port }, "listening");
      return { host: address.address, port: address.port, url: `http://${host}:${address.port}` };
    },
    drain: (drainOptions) => lifecycle.drain(drainOptions),
    close(closeOptions) {
      if (closeOptions?.graceMs !== undefined) graceMs = closeOptions.graceMs;
      closing ??= app.close();
      return closing;
    },
  };
}
