import { ErrorCode, LangtianError } from "@langtian/errors";
import { lakeConfigFrom } from "@langtian/lake";
import type { Overview } from "@langtian/proto";
import {
  createApiKeyGuard,
  createServiceApp,
  DrainOrder,
  isLoopbackHost,
  type ServiceApp,
} from "@langtian/service-kit";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { DestinationStream } from "pino";
import pkg from "../package.json" with { type: "json" };
import { adminKeys, ROLES, Role } from "./access/admin-access.ts";
import { createCallerGate } from "./access/caller-gate.ts";
import { type AuditLog, openAuditLog } from "./audit/audit-log.ts";
import { type AdminConfig, adminConfigSchema, queryApiUrl } from "./config.ts";
import {
  type ConnectorConfigStore,
  openConnectorConfigStore,
} from "./connector-config/connector-config-store.ts";
import { createBridgeDeadLetters } from "./dead-letters/bridge-dead-letters.ts";
import { createCollectorDeadLetters } from "./dead-letters/collector-dead-letters.ts";
import { createDeadLetters } from "./dead-letters/dead-letters.ts";
import { createLakeDeadLetters } from "./dead-letters/lake-dead-letters.ts";
import { parseDeployment } from "./deployment.ts";
import { createInstanceReader } from "./overview/instances.ts";
import { createTopicReader } from "./overview/kafka.ts";
import { createLakeReader } from "./overview/lake.ts";
import { readOverview } from "./overview/overview.ts";
import { sharedRead } from "./overview/shared-read.ts";
import { queryProxyRoutes } from "./query/query-proxy.ts";
import { createReadOnlyLake } from "./read-only-lake.ts";
import { adminRoutes } from "./routes.ts";
import { registerCors } from "./web/cors.ts";
import { serveWeb } from "./web/serve-web.ts";
import { registerSessionRoutes } from "./web/session-routes.ts";
import { createSessions } from "./web/sessions.ts";

/** Optional collaborators, for tests. */
export interface AdminDeps {
  /** Where the logger writes (default stdout). */
  readonly logDestination?: DestinationStream;
}

/** A built admin service: the service app plus its readers, connected by `start()`. */
export interface AdminApp {
  readonly service: ServiceApp;
  /** Connects to NATS (reconnecting forever; the overview reports it meanwhile). */
  start(): Promise<void>;
  /** Drains and closes the server, NATS and the lake reader. */
  stop(): Promise<void>;
  /** Reads the deployment once (what GetOverview answers). */
  overview(): Promise<Overview>;
}

/** How long `start()` waits for NATS (and the audit log) before serving without them. */
const NATS_START_WAIT_MS = 5_000;

/** Viewing is open only on loopback: beyond it, keys are required. */
export class UnprotectedAdminError extends LangtianError {
  override readonly name = "UnprotectedAdminError";
  override readonly code = ErrorCode.failedPrecondition;
}

/** How long one overview read serves every caller after it finished. */
const OVERVIEW_SHARED_MS = 500;

/** Builds the admin service. Connects to nothing and binds nothing until `start()`. */
export function createApp(config: AdminConfig, deps: AdminDeps = {}): AdminApp {
  const keys = adminKeys(config.access.apiKeys, config.operatorToken);
  if (config.access.apiKeys.length === 0 && !isLoopbackHost(config.host))
    throw new UnprotectedAdminError(
      `the admin listens on ${config.host} without access.apiKeys: anyone could view the deployment; configure keys, or listen on 127.0.0.1`,
    );
  const { instances } = parseDeployment(config.deployment.instances);
  const instanceReader = createInstanceReader(config.deployment.instanceTimeoutMs);
  const topicReader = createTopicReader(config.kafka.bootstrap, config.deployment.instanceTimeoutMs);
  // One read-only attach of the lake, for the overview and the dead letters.
  const readOnlyLake = createReadOnlyLake(lakeConfigFrom(config.lake), config.lake.extensionDir);
  const lake = createLakeReader(readOnlyLake);
  let nc: NatsConnection | undefined;
  let audit: AuditLog | undefined;
  let connectorConfig: ConnectorConfigStore | undefined;
  const lakeDeadLetters = createLakeDeadLetters(readOnlyLake);
  const bridgeDeadLetters =
    config.deadLetters.bridgeTopic === ""
      ? undefined
      : createBridgeDeadLetters(
          config.kafka.bootstrap,
          config.deadLetters.bridgeTopic,
          config.deadLetters.scan,
          config.deployment.instanceTimeoutMs,
        );
  const collectorStream = config.deadLetters.collectorStream;
  const deadLetters = createDeadLetters({
    lake: lakeDeadLetters,
    bridge: bridgeDeadLetters,
    collector: () =>
      collectorStream === undefined || nc === undefined
        ? undefined
        : createCollectorDeadLetters(nc, collectorStream, config.deadLetters.scan),
    nats: () => nc,
    kafkaBootstrap: config.kafka.bootstrap,
    eventsSubjectPrefix: config.deadLetters.eventsSubjectPrefix,
  });
  // Every caller within half a second shares one read (WatchOverview streams, screens, the CLI).
  const overview = sharedRead(
    () =>
      readOverview({
        instances,
        instanceReader,
        nats: () => nc,
        streams: config.nats.streams,
        topicReader,
        topics: config.kafka.topics,
        lake,
        timeoutMs: config.deployment.instanceTimeoutMs,
      }),
    OVERVIEW_SHARED_MS,
  );
  const service = createServiceApp({
    schema: adminConfigSchema,
    version: pkg.version,
    config,
    routes: (router) => {
      routes(router);
      queryProxy(router);
    },
    ...(deps.logDestination === undefined ? {} : { logDestination: deps.logDestination }),
  });
  // Every AdminService call is admitted by key and role before its message is read; mutations
  // need the operator role. (The kit's own Lifecycle Drain keeps its operator-token check.)
  const guard = createApiKeyGuard(keys, {
    roles: ROLES,
    anonymousRole: Role.viewer,
    anonymousWithoutKey: config.access.apiKeys.length === 0,
    rateLimit: { requestsPerSecond: config.access.requestsPerSecond, burst: config.access.burst },
    metrics: service.metrics,
    refusedMetric: "admin_refused_total",
  });
  const sessions = createSessions(config.web.sessionTtlMs, config.web.secureCookie);
  registerCors(service.fastify, config.web.allowedOrigins);
  registerSessionRoutes(service.fastify, guard, sessions, { traceUrl: config.web.traceUrl });
  if (config.web.dir !== "") serveWeb(service.fastify, config.web.dir);
  const routes = adminRoutes({
    overview,
    instances,
    audit: () => audit,
    instanceOperatorToken: config.instanceOperatorToken,
    instanceTimeoutMs: config.deployment.instanceTimeoutMs,
    connectorConfig: () => connectorConfig,
    nats: () => nc,
    deadLetters,
    guard,
    sessions,
  });
  // The UI's QueryService calls, forwarded to the query API: callers admitted like AdminService's viewers.
  const queryProxy = queryProxyRoutes({
    url: queryApiUrl(config),
    key: config.queryApi.key,
    requestGate: createCallerGate(guard, sessions, () => Role.viewer),
  });
  service.health.add({
    name: "nats",
    // The overview shows NATS as a part; the admin itself keeps serving without it.
    required: false,
    check: () =>
      nc !== undefined && !nc.isClosed()
        ? { healthy: true, detail: nc.getServer() }
        : { healthy: false, detail: "not connected" },
  });
  service.lifecycle.onDrain({
    name: "close-connections",
    order: DrainOrder.closeConnections,
    run: async () => {
      await topicReader.close();
      readOnlyLake.close();
      await bridgeDeadLetters?.close();
      if (nc !== undefined && !nc.isClosed()) await nc.close();
    },
  });
  return {
    service,
    overview,
    async start() {
      const connecting = connect({
        servers: config.nats.url.split(","),
        name: `langtian-admin-${service.instanceId}`,
        maxReconnectAttempts: -1,
        waitOnFirstConnect: true,
      });
      // NATS away at start is not fatal: the overview says so until it answers, and mutations
      // (which must be audited) are refused meanwhile. When it answers in time, start returns
      // with the audit log open.
      const ready = connecting.then(
        async (connection) => {
          nc = connection;
          audit = await openAuditLog(connection, config.audit.stream, config.audit.replicas).catch(
            (err: unknown) => {
              service.logger.error({ err }, "cannot open the audit log: mutations are refused");
              return undefined;
            },
          );
          connectorConfig = await openConnectorConfigStore(
            connection,
            config.connectorConfig.bucket,
            config.connectorConfig.key,
            config.connectorConfig.replicas,
          ).catch((err: unknown) => {
            service.logger.error({ err }, "cannot open the connector configuration bucket");
            return undefined;
          });
        },
        (err: unknown) => service.logger.error({ err }, "cannot connect to NATS"),
      );
      await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, NATS_START_WAIT_MS).unref())]);
    },
    async stop() {
      await service.drain();
      await service.close();
    },
  };
}
