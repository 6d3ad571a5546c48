import { ErrorCode, LangtianError } from "@langtian/errors";
import {
  createServiceApp,
  createServiceTracer,
  DrainOrder,
  isLoopbackHost,
  type ServiceApp,
  volumeMetrics,
} from "@langtian/service-kit";
import type { DestinationStream } from "pino";
import pkg from "../package.json" with { type: "json" };
import { addCollectorHealthChecks } from "./collector-health.ts";
import { type CollectorConfig, collectorConfigSchema, parseListeners } from "./config.ts";
import { createNatsDeadLetterSink } from "./dead-letter.ts";
import { createDefaultDecoders, type DecoderRegistry } from "./decoders/index.ts";
import { Delivery } from "./delivery.ts";
import { parseIngestAccess } from "./ingest-access.ts";
import { createIngestGuard } from "./ingest-guard.ts";
import { readKernelUdpStats } from "./kernel-udp-stats.ts";
import { type CollectorMetrics, createCollectorMetrics } from "./metrics.ts";
import { createNatsLink } from "./nats-link.ts";
import { decodeOutboundEvent } from "./outbound-event.ts";
import { createSwitchableTarget } from "./publish-target.ts";
import { createRejectionLog } from "./rejection-log.ts";
import { collectorRoutes, type PushIntake, registerHttpIngest } from "./routes.ts";
import { parseSourceNetworks } from "./source-networks.ts";
import { Spool } from "./spool.ts";
import { bindUdpListeners } from "./udp-intake.ts";
import type { UdpListener } from "./udp-listener.ts";

/** What tests (or a site's own main) may inject. */
export interface CollectorDeps {
  /** Decoders, with any site-specific ones registered (default: the built-ins). */
  readonly decoders?: DecoderRegistry;
  /** Where the logger writes (default stdout). */
  readonly logDestination?: DestinationStream;
}

/** A built collector: the service app plus its intake, started by `start()`. */
export interface CollectorApp {
  readonly service: ServiceApp;
  readonly metrics: CollectorMetrics;
  /** Opens the spool (replaying what the last run left), dials NATS and binds the UDP listeners. */
  start(): Promise<void>;
  /** Drains (close the sockets, flush in-flight publishes and the spool, close NATS) and closes the server. */
  stop(): Promise<void>;
  /** Delivery to JetStream (throws before `start()`). */
  readonly delivery: Delivery;
  /** The local spool (throws before `start()`). */
  readonly spool: Spool;
  /** Bound UDP listeners by name (empty before `start()`). */
  readonly udp: ReadonlyMap<string, UdpListener>;
}

/** Raised when the intake is used before `start()` (a push that arrives too early). */
export class NotStartedError extends LangtianError {
  override readonly name = "NotStartedError";
  override readonly code = ErrorCode.unavailable;
}

/** The default NATS `max_payload`, when the server's is not known. */
const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * Builds the collector. Never opens a file, dials or binds until `start()`; `main.ts` listens.
 * Refuses at once a configuration that would take pushes from anyone on a non-loopback host
 * without keys, or that names unknown decoders or malformed networks.
 *
 * When NATS does not answer within `nats.startupWaitMs`, `start()` resolves anyway and the
 * collector accepts into the spool; the stream is provisioned and the spool replayed once NATS
 * is up. A stream that cannot be provisioned while NATS is reachable fails `start()`.
 */
export function createApp(config: CollectorConfig, deps: CollectorDeps = {}): CollectorApp {
  const decoders = deps.decoders ?? createDefaultDecoders();
  const listeners = parseListeners(config.udp.listeners, decoders.names());
  const access = parseIngestAccess(config);
  const udpSources = parseSourceNetworks(config.udp.allowedSources);

  // What exists once started: the spool and its delivery, and the push limits NATS imposes.
  let running: { readonly spool: Spool; readonly delivery: Delivery; readonly push: PushIntake } | undefined;
  const started = () => {
    if (running === undefined) throw new NotStartedError("the collector has not started yet");
    return running;
  };
  const udp = new Map<string, UdpListener>();

  const service = createServiceApp({
    schema: collectorConfigSchema,
    version: pkg.version,
    config,
    routes: (router) => collectorRoutes(ingestRouteDeps)(router),
    ...(deps.logDestination !== undefined && { logDestination: deps.logDestination }),
  });
  const log = service.logger;
  const tracer = createServiceTracer(service, config.tracing);
  const metrics = createCollectorMetrics(service.metrics, {
    spool: () => {
      const spool = running?.spool;
      return spool === undefined
        ? { depth: 0, bytes: 0, oldestAgeMs: 0 }
        : { depth: spool.depth, bytes: spool.bytes, oldestAgeMs: oldestSpooledAgeMs(spool) };
    },
    kernelUdp: readKernelUdpStats,
    inFlight: () => running?.delivery.inFlight ?? 0,
  });
  volumeMetrics(service.metrics, { spool: config.spool.dir });
  // One guard for both push endpoints: a key's rate limit is shared by them.
  const guard = createIngestGuard(access, config.ingest.rateLimit, service.metrics);
  const ingestRouteDeps = {
    intake: () => started().push,
    metrics,
    guard,
    options: { maxBatchEvents: config.ingest.maxBatchEvents, maxRequestBytes: config.ingest.maxRequestBytes },
  };
  registerHttpIngest(service.fastify, ingestRouteDeps);

  const target = createSwitchableTarget();
  const nats = createNatsLink({
    nats: config.nats,
    stream: config.stream,
    target,
    log,
    onPublishable: () => running?.delivery.poke(),
  });
  // Rejected input of every path, rate-limited per path and reason. One per collector, so a
  // flood on several listeners is still bounded.
  const rejectionLog = createRejectionLog(log);
  const deadLetter =
    config.deadLetter.subject === undefined
      ? undefined
      : createNatsDeadLetterSink(
          () => nats.connection(),
          config.deadLetter.subject,
          (reason) => metrics.deadLettered.inc({ reason }),
        );

  addCollectorHealthChecks(service.health, {
    target,
    running: () => running,
    spoolDir: config.spool.dir,
    spoolMaxBytes: config.spool.maxBytes,
    overflow: config.spool.overflow,
    // The largest event's record: payload limit plus envelope, subject, id and record header.
    maxRecordBytes: config.ingest.maxEventBytes + 4096,
    server: () => nats.server(),
    streamProblem: () => nats.streamProblem(),
  });
  service.lifecycle.addCounters(() => ({
    spoolDepth: running?.spool.depth ?? 0,
    publishesInFlight: running?.delivery.inFlight ?? 0,
  }));
  if (!access.required)
    log[isLoopbackHost(config.host) ? "info" : "warn"](
      { host: config.host },
      "push ingest accepts events without a key (no ingest.apiKeys configured); keep the port behind a trusted boundary",
    );

  service.lifecycle.onDrain({
    name: "close-udp-sockets",
    order: DrainOrder.stopIntake,
    run: async () => {
      await Promise.all([...udp.values()].map((s) => s.close()));
      rejectionLog.close();
    },
  });
  service.lifecycle.onDrain({
    name: "flush-publishes-and-spool",
    order: DrainOrder.flush,
    run: async (signal) => {
      if (running === undefined) return;
      const left = await running.delivery.drain(signal);
      if (left.spoolDepth > 0)
        log.warn({ events: left.spoolDepth }, "drain left events in the spool for the next start");
    },
  });
  service.lifecycle.onDrain({
    name: "close-connections",
    order: DrainOrder.closeConnections,
    run: async () => {
      await running?.delivery.close();
      target.close?.();
      running?.spool.close();
      await nats.close();
    },
  });

  return {
    service,
    metrics,
    async start() {
      const spool = openSpool(config, log);
      const delivery = new Delivery(target, spool, metrics, config.publish);
      try {
        await nats.start();
      } catch (err) {
        await delivery.close();
        spool.close();
        throw err;
      }
      // An event JetStream would refuse for its size would block the spool's replay forever:
      // refuse it at the door instead (stream max_msg_size and the server's max_payload).
      const maxEnvelopeBytes = Math.min(
        config.stream.maxMsgBytes > 0 ? config.stream.maxMsgBytes : Number.POSITIVE_INFINITY,
        nats.maxPayloadAtStart() ?? DEFAULT_MAX_PAYLOAD_BYTES,
      );
      running = {
        spool,
        delivery,
        push: {
          delivery,
          options: {
            subjectPrefix: config.stream.subjectPrefix,
            maxEventBytes: Math.min(config.ingest.maxEventBytes, maxEnvelopeBytes),
            tracer,
          },
        },
      };
      delivery.poke();
      const bound = await bindUdpListeners({
        listeners,
        udp: config.udp,
        decoders,
        udpSources,
        subjectPrefix: config.stream.subjectPrefix,
        maxEnvelopeBytes,
        delivery,
        metrics,
        deadLetter,
        rejectionLog,
        tracer,
        log,
      });
      for (const [name, socket] of bound) udp.set(name, socket);
    },
    async stop() {
      await service.drain();
      await service.close();
    },
    get delivery() {
      return started().delivery;
    },
    get spool() {
      return started().spool;
    },
    udp,
  };
}

/** Opens (and recovers) the spool, reporting what the last run left in it. */
function openSpool(config: CollectorConfig, log: ServiceApp["logger"]): Spool {
  const spool = Spool.open(config.spool);
  if (spool.corruptRecordsAtOpen > 0) {
    log.error(
      { segments: spool.corruptRecordsAtOpen },
      "spool segments with corrupt records were cut at the corruption",
    );
  }
  if (spool.depth > 0)
    log.info({ events: spool.depth, bytes: spool.bytes }, "replaying the spool left by the last run");
  return spool;
}

function oldestSpooledAgeMs(spool: Spool): number {
  const oldest = spool.peekOldest();
  return oldest === undefined ? 0 : Math.max(0, Date.now() - decodeOutboundEvent(oldest).receivedAtMs);
}
