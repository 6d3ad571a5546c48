import { readFile } from "node:fs/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import { devicePayloadRegistry } from "@langtian/envelope";
import { requireDuckdbExtensions } from "@langtian/lake";
import {
  createServiceApp,
  createServiceTracer,
  DrainOrder,
  type ServiceApp,
  volumeMetrics,
} from "@langtian/service-kit";
import type { DestinationStream } from "pino";
import pkg from "../package.json" with { type: "json" };
import { type LakeWriterConfig, lakeConfigOf, lakeWriterConfigSchema } from "./config.ts";
import { createIngestLoop, type IngestLoop } from "./ingest/ingest-loop.ts";
import type { Source } from "./ingest/source.ts";
import { createJetStreamSource } from "./jetstream/jetstream-source.ts";
import { createKafkaSource } from "./kafka/kafka-source.ts";
import { createBatchWriter } from "./lake/batch-writer.ts";
import { DEFAULT_TIERS, runMaintenance } from "./lake/maintenance.ts";
import { type OpenLake, openLake } from "./lake/open-lake.ts";
import { ensureStateSchema } from "./lake/partition-ledger.ts";
import { createLakeWriterMetrics, type LakeWriterMetrics } from "./metrics.ts";
import { lakeWriterRoutes } from "./routes.ts";
import { createTableManager } from "./tables/table-manager.ts";
import { parsePipeline } from "./transforms/pipeline.ts";

/** Optional collaborators, for tests. */
export interface LakeWriterDeps {
  /** Where the logger writes (default stdout). */
  readonly logDestination?: DestinationStream;
  /** Replaces the configured source (tests). */
  readonly source?: Source;
}

/** A built lake writer: the service app plus the ingest stage, started by `start()`. */
export interface LakeWriterApp {
  readonly service: ServiceApp;
  readonly metrics: LakeWriterMetrics;
  /** Opens the lake, joins the source and starts writing. */
  start(): Promise<void>;
  /** Drains (commit the batch in progress, stop) and closes the server. */
  stop(): Promise<void>;
  /** The open lake once started (tests and tools query it). */
  lake(): OpenLake | undefined;
  /** Rejects when the ingest loop stops on a fatal error (main.ts then shuts down). */
  readonly failed: Promise<never>;
}

/**
 * Builds the lake writer. Never listens and never connects until `start()`; `main.ts`
 * listens. Drain = finish the batch in progress, commit it with its offsets, stop.
 */
export function createApp(config: LakeWriterConfig, deps: LakeWriterDeps = {}): LakeWriterApp {
  const service = createServiceApp({
    schema: lakeWriterConfigSchema,
    version: pkg.version,
    config,
    // Runs only when the server starts; `loop` is read per request.
    routes: (router) => lakeWriterRoutes({ owner: service.instanceId, loop: () => loop })(router),
    ...(deps.logDestination === undefined ? {} : { logDestination: deps.logDestination }),
  });
  const { logger } = service;
  let lake: OpenLake | undefined;
  let probe: DuckDBConnection | undefined;
  let loop: IngestLoop | undefined;
  let maintenanceTimer: NodeJS.Timeout | undefined;
  let maintenanceRun: Promise<void> | undefined;
  const metrics = createLakeWriterMetrics(service.metrics, () => loop?.lag() ?? new Map());
  const tracer = createServiceTracer(service, config.tracing);
  // A local lake fills a disk this process writes; an S3 lake's space is the object store's.
  if (!config.lake.dataPath.startsWith("s3://"))
    volumeMetrics(service.metrics, { lake: config.lake.dataPath });

  service.health.add({
    name: "lake",
    graceMs: config.readinessGraceMs,
    check: async () => {
      if (!probe) return { healthy: false, detail: "not open" };
      // Reads the catalog, so an unreachable Postgres/SQLite catalog shows up here.
      const reader = await probe.runAndReadAll("SELECT id FROM lake.current_snapshot()");
      const snapshot = String(reader.getRows()[0]?.[0]);
      return {
        healthy: true,
        detail: `${config.lake.catalog} catalog at snapshot ${snapshot}, data ${config.lake.dataPath}`,
      };
    },
  });
  service.health.add({
    name: "source",
    // A broker restart or one failed commit that the retry fixes does not take the writer
    // out of service; anything longer does.
    graceMs: config.readinessGraceMs,
    check: () => {
      if (!loop?.running) return { healthy: false, detail: "not running" };
      // Not ready while it cannot make progress: commits failing, or the source unreadable
      // (Kafka or NATS down); the kit's readinessGraceMs keeps a blip from counting. The
      // process itself stays healthy (/healthz).
      const stalled = loop.stalled();
      if (stalled) return { healthy: false, detail: stalled };
      return { healthy: true, detail: `${config.source}: ${loop.positions().size} partitions owned` };
    },
  });
  service.lifecycle.addCounters(() => ({ owned_partitions: loop?.positions().size ?? 0 }));

  service.lifecycle.onDrain({
    name: "stop-maintenance",
    order: DrainOrder.stopIntake,
    run: async () => {
      clearInterval(maintenanceTimer);
      await maintenanceRun;
    },
  });
  service.lifecycle.onDrain({
    name: "commit-batch-and-stop",
    order: DrainOrder.flush,
    run: async () => {
      await loop?.drain();
    },
  });
  service.lifecycle.onDrain({
    name: "close-lake",
    order: DrainOrder.closeConnections,
    run: () => {
      lake?.close();
    },
  });

  let rejectFailed: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => {
    rejectFailed = reject;
  });
  // Observed by main.ts; never an unhandled rejection in tests that do not watch it.
  failed.catch(() => undefined);

  function createSource(): Source {
    if (deps.source) return deps.source;
    if (config.source === "jetstream") {
      return createJetStreamSource({
        url: config.jetstream.url,
        stream: config.jetstream.stream,
        filterSubjects: config.jetstream.filterSubjects,
      });
    }
    return createKafkaSource({
      bootstrap: config.kafka.bootstrap.join(","),
      topics: config.kafka.topics,
      groupId: config.kafka.groupId,
      clientId: config.kafka.clientId,
      startFrom: config.kafka.startFrom,
      fetchMaxWaitMs: config.kafka.fetchMaxWaitMs,
      // The bridge's span is the parent of this writer's: read only when spans are exported.
      readTraceparent: tracer.exporting,
      sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      ...(config.kafka.groupInstanceId !== undefined && { groupInstanceId: config.kafka.groupInstanceId }),
    });
  }

  return {
    service,
    metrics,
    failed,
    lake: () => lake,
    async start() {
      // A bad pipeline file fails the start with every problem listed, before anything is read.
      const pipeline = config.pipelineFile
        ? parsePipeline(await readFile(config.pipelineFile, "utf8"))
        : { transforms: [], windows: [] };
      // Never fetched here: a missing extension file fails the start, naming the file.
      lake = await openLake(lakeConfigOf(config), await requireDuckdbExtensions(config.lake.extensionDir));
      probe = await lake.connect();
      const connection = await lake.connect();
      await ensureStateSchema(connection);
      const owner = service.instanceId;
      loop = createIngestLoop({
        source: createSource(),
        writer: createBatchWriter({
          connection,
          tables: createTableManager(connection),
          maxCommitRetries: config.batch.maxCommitRetries,
          transforms: pipeline.transforms,
          windows: pipeline.windows,
          dedupe: config.dedupe,
          author: owner,
        }),
        dedupe: config.dedupe,
        connection,
        owner,
        tracer,
        registry: devicePayloadRegistry,
        limits: {
          maxBatchRows: config.batch.maxRows,
          maxBatchBytes: config.batch.maxBytes,
          flushIntervalMs: config.batch.flushIntervalMs,
        },
        observer: {
          ...metrics.observer,
          fenced(partitions) {
            metrics.observer.fenced?.(partitions);
            logger.warn({ partitions }, "partitions taken over by another writer; batch dropped");
          },
          commitFailed(err) {
            metrics.observer.commitFailed?.(err);
            logger.error({ err }, "lake commit failed; reading again from the lake's positions");
          },
          pollFailed(err) {
            metrics.pollFailures.inc();
            logger.warn({ err }, "reading the source failed; retrying");
          },
          assigned(partitions) {
            metrics.observer.assigned?.(partitions);
            logger.info({ partitions }, "partitions assigned");
          },
        },
      });
      loop.done.catch((err: unknown) => {
        logger.fatal({ err }, "ingest loop stopped");
        rejectFailed(err);
      });
      if (config.maintenance.intervalMs > 0) {
        const maintenanceConnection = await lake.connect();
        maintenanceTimer = setInterval(() => {
          // One run at a time; a slow run simply delays the next one.
          maintenanceRun ??= runMaintenance(maintenanceConnection, {
            tiers: DEFAULT_TIERS,
            snapshotRetentionMs: config.maintenance.snapshotRetentionMs,
            fileCleanupDelayMs: config.maintenance.fileCleanupDelayMs,
          })
            .then((report) => {
              metrics.maintenanceRuns.inc();
              logger.info(report, "lake maintenance done");
            })
            .catch((err: unknown) => {
              metrics.maintenanceFailures.inc();
              logger.warn({ err }, "lake maintenance failed; retried next interval");
            })
            .finally(() => {
              maintenanceRun = undefined;
            });
        }, config.maintenance.intervalMs);
      }
      logger.info(
        { owner, catalog: config.lake.catalog, dataPath: config.lake.dataPath },
        "lake writer started",
      );
    },
    async stop() {
      await service.drain();
      await service.close();
    },
  };
}
