import {
  createServiceApp,
  createServiceTracer,
  DrainOrder,
  type ServiceApp,
  untilJetStreamAnswers,
} from "@langtian/service-kit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { DestinationStream } from "pino";
import pkg from "../package.json" with { type: "json" };
import { type BridgeConfig, bridgeConfigSchema } from "./config.ts";
import {
  type AppliedConnectorConfig,
  appliedConnectorConfig,
  type ConnectorConfigWatch,
  startConnectorConfigWatch,
} from "./connector-config-watch.ts";
import { type JetStreamSource, startJetStreamSource } from "./jetstream-source.ts";
import { createKafkaSink, type KafkaSink } from "./kafka-sink.ts";
import { type BridgeMetrics, createBridgeMetrics } from "./metrics.ts";
import { createPipeline, type Pipeline } from "./pipeline.ts";
import { bridgeRoutes } from "./routes.ts";

/** Optional collaborators, for tests. */
export interface BridgeDeps {
  /** Where the logger writes (default stdout). */
  readonly logDestination?: DestinationStream;
}

/** A built bridge instance: the service app plus the stage, started by `start()`. */
export interface BridgeApp {
  readonly service: ServiceApp;
  readonly metrics: BridgeMetrics;
  /** Connects to NATS and Kafka, binds to the provisioned consumer and starts bridging. */
  start(): Promise<void>;
  /** Drains (stop fetching, finish and ack in-flight, flush, close) and closes the server. */
  stop(): Promise<void>;
  /** Whether this instance is the active one (ordered mode); true in shared mode once started. */
  active(): boolean;
  /**
   * Rejects when bridging stops on its own: the fetch loop ended (with an error, or without one)
   * while no drain asked it to. main.ts then drains and exits non-zero.
   */
  readonly failed: Promise<never>;
}

/**
 * Builds the bridge. Never listens and never connects until `start()`; `main.ts` listens.
 * The durable consumer and the topics must exist (the `provision` command makes them).
 */
export function createApp(config: BridgeConfig, deps: BridgeDeps = {}): BridgeApp {
  const service = createServiceApp({
    schema: bridgeConfigSchema,
    version: pkg.version,
    config,
    // Runs when the server starts; reads pipeline and source as they are at each request.
    routes: (router) =>
      bridgeRoutes({
        config,
        state: () => ({
          ordered: source?.ordered ?? false,
          active: source?.pinned() ?? false,
          inFlight: pipeline?.inFlight() ?? 0,
          routing: routing(),
        }),
      })(router),
    ...(deps.logDestination === undefined ? {} : { logDestination: deps.logDestination }),
  });
  const { logger } = service;
  const metrics = createBridgeMetrics(service.metrics);
  const tracer = createServiceTracer(service, config.tracing);
  let nc: NatsConnection | undefined;
  let sink: KafkaSink | undefined;
  let pipeline: Pipeline | undefined;
  let source: JetStreamSource | undefined;
  let infoTimer: NodeJS.Timeout | undefined;
  let configWatch: ConnectorConfigWatch | undefined;
  const ownRouting = appliedConnectorConfig(config, 0);
  /** The routing and pipeline settings in effect: the shared configuration's when watched. */
  const routing = (): AppliedConnectorConfig => configWatch?.current() ?? ownRouting;
  let stopping = false;
  let rejectFailed: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => {
    rejectFailed = reject;
  });
  // Observed by main.ts; never an unhandled rejection in tests that do not watch it.
  failed.catch(() => undefined);

  // Readiness: both NATS and Kafka are needed to make progress; each gates readiness once it
  // has been unreachable for `readinessGraceMs`.
  let natsDownSinceMs: number | undefined;
  service.health.add({
    name: "nats",
    graceMs: config.readinessGraceMs,
    check: async () => {
      if (nc === undefined) return { healthy: false, detail: "not started" };
      if (nc.isClosed()) return { healthy: false, detail: "connection closed" };
      // While reconnecting, rtt() would only wait for the check's timeout: answer at once.
      if (natsDownSinceMs !== undefined)
        return { healthy: false, detail: "reconnecting", unhealthySinceMs: natsDownSinceMs };
      const rttMs = await nc.rtt();
      return { healthy: true, detail: `${nc.getServer()} rtt ${rttMs.toFixed(1)} ms` };
    },
  });
  service.health.add({
    name: "kafka",
    timeoutMs: 5000,
    graceMs: config.readinessGraceMs,
    check: async () => {
      if (sink === undefined) return { healthy: false, detail: "not started" };
      try {
        await sink.ping();
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        const since = sink.failingSinceMs();
        return { healthy: false, detail, ...(since === undefined ? {} : { unhealthySinceMs: since }) };
      }
      return { healthy: true, detail: config.kafka.bootstrap.join(",") };
    },
  });
  service.lifecycle.addCounters(() => ({ in_flight: pipeline?.inFlight() ?? 0 }));

  let drained: Promise<void> | undefined;
  service.lifecycle.onDrain({
    name: "stop-fetching",
    order: DrainOrder.stopIntake,
    run: async () => {
      stopping = true;
      if (infoTimer !== undefined) clearInterval(infoTimer);
      configWatch?.stop();
      // Draining first releases a fetch loop blocked on backpressure; what the client had
      // buffered is then naked at once so another instance takes it without waiting AckWait.
      drained = pipeline?.drain();
      await source?.stop();
    },
  });
  service.lifecycle.onDrain({
    name: "finish-in-flight",
    order: DrainOrder.finishInFlight,
    run: async () => {
      await drained;
      pipeline?.close();
    },
  });
  service.lifecycle.onDrain({
    name: "flush-acks",
    order: DrainOrder.flush,
    // Acks are fire-and-forget publishes: flush so the server has them before we disconnect.
    run: async () => {
      if (nc !== undefined && !nc.isClosed()) await nc.flush();
    },
  });
  service.lifecycle.onDrain({
    name: "close-connections",
    order: DrainOrder.closeConnections,
    run: async () => {
      await sink?.close();
      if (nc !== undefined && !nc.isClosed()) await nc.close();
    },
  });

  return {
    service,
    metrics,
    async start() {
      nc = await connect({
        servers: config.nats.url.split(","),
        name: `langtian-bridge-${service.instanceId}`,
        maxReconnectAttempts: -1,
      });
      const connection = nc;
      void (async () => {
        for await (const s of connection.status()) {
          if (s.type === "disconnect") natsDownSinceMs ??= Date.now();
          else if (s.type === "reconnect") natsDownSinceMs = undefined;
        }
      })();
      sink = createKafkaSink({
        bootstrap: config.kafka.bootstrap,
        clientId: `${config.kafka.clientId}-${service.instanceId}`,
        compression: config.kafka.compression,
        requestTimeoutMs: config.kafka.requestTimeoutMs,
        retries: config.kafka.retries,
        retryDelayMs: config.kafka.retryDelayMs,
      });
      const js = jetstream(nc);
      // Started while the NATS cluster elects a leader (a node was just lost), JetStream's
      // requests time out for a few seconds: wait for it rather than exit into a restart loop.
      // A missing stream or consumer is JetStream's answer and fails at once.
      const wait = { deadlineMs: config.nats.startupWaitMs, stopped: () => stopping, log: logger };
      const { consumer, info } = await untilJetStreamAnswers(
        async () => {
          const found = await js.consumers.get(config.nats.stream, config.nats.durable);
          return { consumer: found, info: await found.info() };
        },
        { what: "bind the durable consumer", ...wait },
      );
      const ordered = info.config.priority_policy === "pinned_client";
      if (config.connectorConfig.bucket !== "") {
        // Each change is applied between two messages: held ones keep the topic they were
        // routed to, later ones take the new rules (see Pipeline.reconfigure).
        configWatch = await startConnectorConfigWatch({
          nc,
          config,
          metrics: service.metrics,
          logger,
          onChange: (next) => pipeline?.reconfigure(next.settings),
          startupWaitMs: wait.deadlineMs,
          stopped: wait.stopped,
        });
      }
      // No await between reading the settings and creating the pipeline: no change is missed.
      pipeline = createPipeline({
        sink,
        ...routing().settings,
        headerSet: config.topics.headers,
        // Three chances per AckWait, so one late timer never lets a slow write expire.
        workingIntervalMs: Math.max(250, Math.floor((info.config.ack_wait ?? 30e9) / 1e6 / 3)),
        ordered,
        metrics,
        logger,
        tracer,
      });
      source = await startJetStreamSource({
        nc,
        js,
        stream: config.nats.stream,
        durable: config.nats.durable,
        fetchBatch: config.nats.fetchBatch,
        fetchExpiresMs: config.nats.fetchExpiresMs,
        pipeline,
        logger,
      });
      // Nothing restarts a fetch loop that ended by itself: the instance would sit idle, ready.
      source.done.then(
        () => {
          if (!stopping) rejectFailed(new Error("the JetStream fetch loop ended without a drain"));
        },
        (err: unknown) => {
          logger.error({ err }, "fetch loop ended with an error");
          if (!stopping) rejectFailed(err);
        },
      );
      const jsm = await untilJetStreamAnswers(() => jetstreamManager(connection), {
        what: "open the stream manager",
        ...wait,
      });
      const stream = { stream: config.nats.stream };
      const limit = (gauge: BridgeMetrics["streamLimitBytes"], value: number | undefined) => {
        // -1 (or 0) means unlimited: no sample, so "near its limit" has nothing to compare.
        if (value === undefined || value <= 0) gauge.remove(stream);
        else gauge.set(stream, value);
      };
      const refreshInfo = async () => {
        const i = await consumer.info();
        metrics.consumerPending.set(i.num_pending);
        metrics.consumerAckPending.set(i.num_ack_pending);
        metrics.consumerRedelivered.set(i.num_redelivered);
        const s = await jsm.streams.info(config.nats.stream);
        metrics.streamBytes.set(stream, s.state.bytes);
        metrics.streamMessages.set(stream, s.state.messages);
        limit(metrics.streamLimitBytes, s.config.max_bytes);
        limit(metrics.streamLimitMessages, s.config.max_msgs);
      };
      infoTimer = setInterval(() => {
        refreshInfo().catch((err: unknown) => logger.warn({ err }, "consumer info failed"));
      }, config.nats.consumerInfoIntervalMs);
      infoTimer.unref();
      logger.info(
        { stream: config.nats.stream, durable: config.nats.durable, ordered, kafka: config.kafka.bootstrap },
        "bridging JetStream to Kafka",
      );
    },
    async stop() {
      await service.drain();
      await service.close();
    },
    active: () => source?.pinned() ?? false,
    failed,
  };
}
