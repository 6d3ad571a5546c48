import { createServiceApp, DrainOrder, type ListenAddress, type ServiceApp } from "@langtian/service-kit";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { DestinationStream } from "pino";
import { addCollectorHealthChecks } from "./collector-health.ts";
import { type CollectorConfig, configSchema, parseListeners } from "./config.ts";
import { createDatagramHandler } from "./datagram-handler.ts";
import { createNatsDeadLetterSink } from "./dead-letter.ts";
import { createDefaultDecoders, type DecoderRegistry } from "./decoders/index.ts";
import { Delivery } from "./delivery.ts";
import { type IngestAccess, isLoopbackHost, parseIngestAccess } from "./ingest-access.ts";
import { createIngestGuard } from "./ingest-guard.ts";
import { readKernelUdpStats } from "./kernel-udp-stats.ts";
import { type CollectorMetrics, createCollectorMetrics } from "./metrics.ts";
import { decodeOutboundEvent } from "./outbound-event.ts";
import { createJetStreamTarget, createSwitchableTarget } from "./publish-target.ts";
import { createRejectionLog } from "./rejection-log.ts";
import { collectorRoutes, registerHttpIngest } from "./routes.ts";
import { onlyFromNetworks, parseSourceNetworks, type SourceNetworks } from "./source-networks.ts";
import { Spool } from "./spool.ts";
import { type EnsureStreamResult, ensureStream } from "./stream-provisioner.ts";
import { listenUdp, type UdpListener } from "./udp-listener.ts";
import { listenUdpThread } from "./udp-receive-thread.ts";

/** What tests (or a site's own main) may inject. */
export interface CollectorDeps {
  /** Decoders, with any site-specific ones registered (default: the built-ins). */
  readonly decoders?: DecoderRegistry;
  readonly logDestination?: DestinationStream;
}

/** The built collector: a service app plus its UDP listeners, delivery and spool. */
export interface CollectorApp {
  readonly service: ServiceApp;
  readonly metrics: CollectorMetrics;
  readonly delivery: Delivery;
  readonly spool: Spool;
  /** Bound UDP listeners by name (after {@link listen} or {@link listenUdp}). */
  readonly udp: ReadonlyMap<string, UdpListener>;
  /** Binds the UDP listeners only (tests that do not need the RPC port). */
  listenUdp(): Promise<ReadonlyMap<string, UdpListener>>;
  /** Binds the UDP listeners and the RPC/HTTP port. */
  listen(): Promise<ListenAddress>;
  /** Drain (stop sockets, flush in-flight and spool), then close everything. */
  close(): Promise<void>;
}

/** The collector's package version, reported by health and Status. */
export const COLLECTOR_VERSION = "0.1.0";

/**
 * Builds the collector: connects to NATS, creates or verifies the stream (warning about
 * every difference), opens and recovers the spool, and wires delivery, the push routes,
 * health checks, metrics and drain hooks. Never binds a port: {@link CollectorApp.listen} does.
 *
 * When NATS does not answer within `nats.startupWaitMs`, the collector starts anyway and
 * accepts into the spool; the stream is provisioned and the spool replayed once NATS is up.
 * A stream that cannot be provisioned while NATS is reachable at startup is a startup error.
 */
export async function createApp(config: CollectorConfig, deps: CollectorDeps = {}): Promise<CollectorApp> {
  const decoders = deps.decoders ?? createDefaultDecoders();
  const listeners = parseListeners(config.udp.listeners, decoders.names());
  // Before anything connects: a collector that would take pushes from anyone does not start.
  const access = parseIngestAccess(config);
  const udpSources = parseSourceNetworks(config.udp.allowedSources);
  const connecting = connect({
    servers: config.nats.url.split(","),
    name: "langtian-collector",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // Keep dialling until NATS answers: the collector spools meanwhile.
    waitOnFirstConnect: true,
    // Async traces build Error objects (with stacks) per request; ours carry context.
    noAsyncTraces: true,
  });
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([
    connecting,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), config.nats.startupWaitMs);
    }),
  ]).finally(() => clearTimeout(timer));
  let startup: StartupNats = { connecting };
  if (first !== undefined) {
    try {
      startup = { nc: first, stream: await ensureStream(await jetstreamManager(first), config.stream) };
    } catch (err) {
      await first.close();
      throw err;
    }
  }
  const spool = Spool.open(config.spool);
  return build(config, deps, decoders, listeners, spool, startup, access, udpSources);
}

/** NATS as known at startup: connected (stream verified), or still connecting. */
type StartupNats =
  | { readonly nc: NatsConnection; readonly stream: EnsureStreamResult }
  | { readonly connecting: Promise<NatsConnection> };

function build(
  config: CollectorConfig,
  deps: CollectorDeps,
  decoders: DecoderRegistry,
  listeners: ReturnType<typeof parseListeners>,
  spool: Spool,
  startup: StartupNats,
  access: IngestAccess,
  udpSources: SourceNetworks,
): CollectorApp {
  const service = createServiceApp({
    schema: configSchema,
    version: COLLECTOR_VERSION,
    config,
    routes: (router) => collectorRoutes(ingestDeps())(router),
    ...(deps.logDestination !== undefined && { logDestination: deps.logDestination }),
  });
  const log = service.logger;
  const reportStream = (stream: EnsureStreamResult) => {
    if (stream.created) log.info({ stream: config.stream.name }, "created the event stream");
    for (const d of stream.differences) {
      log.warn(
        { stream: config.stream.name, field: d.field, live: d.live, configured: d.configured },
        `stream ${config.stream.name}: ${d.field} is ${d.live} but the configuration says ${d.configured}; the stream was not changed`,
      );
    }
  };
  if (spool.corruptRecordsAtOpen > 0) {
    log.error(
      { segments: spool.corruptRecordsAtOpen },
      "spool segments with corrupt records were cut at the corruption",
    );
  }
  if (spool.depth > 0)
    log.info({ events: spool.depth, bytes: spool.bytes }, "replaying the spool left by the last run");

  const metrics = createCollectorMetrics(service.metrics, {
    spool: () => ({ depth: spool.depth, bytes: spool.bytes, oldestAgeMs: oldestSpooledAgeMs(spool) }),
    kernelUdp: readKernelUdpStats,
    // Read at scrape time only, after `d` exists.
    inFlight: () => d.inFlight,
  });
  // One guard for both push endpoints: a key's rate limit is shared by them.
  const guard = createIngestGuard(access, config.ingest.rateLimit, service.metrics);
  if (!access.required)
    log[isLoopbackHost(config.host) ? "info" : "warn"](
      { host: config.host },
      "push ingest accepts events without a key (no ingest.apiKeys configured); keep the port behind a trusted boundary",
    );
  const target = createSwitchableTarget();
  // `routes` above runs only when the server starts, after this line.
  const d = new Delivery(target, spool, metrics, config.publish);
  let nc: NatsConnection | undefined;
  let streamProblem: string | undefined;
  let closed = false;
  const attach = (connection: NatsConnection) => {
    nc = connection;
    target.set(createJetStreamTarget(connection, config.nats.ackTimeoutMs));
    void (async () => {
      for await (const s of connection.status()) {
        if (s.type === "reconnect") {
          log.info("NATS connection back: replaying the spool");
          d.poke();
        } else if (s.type === "disconnect") log.warn("NATS connection lost: spooling events");
      }
    })();
    d.poke();
  };
  if ("nc" in startup) {
    reportStream(startup.stream);
    attach(startup.nc);
  } else {
    log.warn({ url: config.nats.url }, "NATS is not reachable: accepting events into the spool until it is");
    startup.connecting.then(
      async (connection) => {
        // Provision the stream before publishing; retry while it fails (e.g. a cluster
        // still electing), reporting the reason through health.
        while (!closed) {
          try {
            reportStream(await ensureStream(await jetstreamManager(connection), config.stream));
            streamProblem = undefined;
            log.info("NATS reachable and the stream ready: replaying the spool");
            attach(connection);
            return;
          } catch (err) {
            streamProblem = err instanceof Error ? err.message : String(err);
            log.error({ err }, "cannot provision the event stream; retrying in 5 s");
            await new Promise((resolve) => setTimeout(resolve, 5_000));
          }
        }
        await connection.close();
      },
      (err: unknown) => log.error({ err }, "cannot connect to NATS"),
    );
  }
  // An event JetStream would refuse for its size would block the spool's replay forever:
  // refuse it at the door instead (stream max_msg_size and the server's max_payload).
  const maxEnvelopeBytes = Math.min(
    config.stream.maxMsgBytes > 0 ? config.stream.maxMsgBytes : Number.POSITIVE_INFINITY,
    ("nc" in startup ? startup.nc.info?.max_payload : undefined) ?? 1024 * 1024,
  );
  // Rejected input of every path (UDP here; push through ingestDeps when wired), rate-limited
  // per path and reason. One per collector, so a flood on several listeners is still bounded.
  const rejectionLog = createRejectionLog(log);
  function ingestDeps() {
    return {
      delivery: d,
      metrics,
      guard,
      options: {
        subjectPrefix: config.stream.subjectPrefix,
        maxBatchEvents: config.ingest.maxBatchEvents,
        maxRequestBytes: config.ingest.maxRequestBytes,
        maxEventBytes: Math.min(config.ingest.maxEventBytes, maxEnvelopeBytes),
      },
    };
  }
  registerHttpIngest(service.fastify, ingestDeps());

  addCollectorHealthChecks(service.health, {
    target,
    delivery: d,
    spool,
    spoolDir: config.spool.dir,
    spoolMaxBytes: config.spool.maxBytes,
    overflow: config.spool.overflow,
    // The largest event's record: payload limit plus envelope, subject, id and record header.
    maxRecordBytes: config.ingest.maxEventBytes + 4096,
    server: () => nc?.getServer(),
    streamProblem: () => streamProblem,
  });
  service.lifecycle.addCounters(() => ({ spoolDepth: spool.depth, publishesInFlight: d.inFlight }));

  const deadLetter =
    config.deadLetter.subject === undefined
      ? undefined
      : createNatsDeadLetterSink(
          () => nc,
          config.deadLetter.subject,
          (reason) => metrics.deadLettered.inc({ reason }),
        );
  const udp = new Map<string, UdpListener>();
  const listenUdpAll = async () => {
    if (udp.size > 0) return udp;
    for (const l of listeners) {
      const decoder = decoders.get(l.decoder);
      if (decoder === undefined) throw new Error(`decoder ${l.decoder} is not registered`);
      const decode = createDatagramHandler({
        listener: l.name,
        decoder,
        defaults: l,
        subjectPrefix: config.stream.subjectPrefix,
        maxDatagramBytes: config.udp.maxDatagramBytes,
        maxEnvelopeBytes,
        delivery: d,
        metrics,
        deadLetter,
        rejectionLog,
      });
      // Senders outside udp.allowedSources: read, counted, never decoded or dead-lettered.
      const handler = onlyFromNetworks(udpSources, decode, (datagram, source) => {
        metrics.datagramsReceived.inc({ listener: l.name });
        metrics.bytesReceived.inc({ listener: l.name }, datagram.length);
        metrics.decodeErrors.inc({ listener: l.name, reason: "source_not_allowed" });
        rejectionLog({
          path: "udp",
          listener: l.name,
          reason: "source_not_allowed",
          detail: "sender is not in udp.allowedSources",
          input: datagram,
          source,
        });
      });
      const binding = { ...l, receiveBufferBytes: config.udp.receiveBufferBytes };
      const onSocketError = (err: Error) => log.error({ err, listener: l.name }, "UDP socket error");
      const socket = config.udp.receiveThread
        ? await listenUdpThread(
            binding,
            { maxQueued: config.udp.receiveThreadMaxQueued },
            handler,
            (count, bytes) => {
              // Read from the socket but never processed: counted like every other read datagram.
              metrics.datagramsReceived.inc({ listener: l.name }, count);
              metrics.bytesReceived.inc({ listener: l.name }, bytes);
              metrics.decodeErrors.inc({ listener: l.name, reason: "receive_queue_full" }, count);
            },
            onSocketError,
          )
        : await listenUdp(binding, handler, onSocketError);
      udp.set(l.name, socket);
      log.info(
        {
          listener: l.name,
          host: l.host,
          port: socket.port,
          decoder: l.decoder,
          receiveBufferBytes: socket.receiveBufferBytes,
          receiveThread: config.udp.receiveThread,
        },
        "UDP listener bound",
      );
    }
    return udp;
  };

  service.lifecycle.onDrain({
    name: "close UDP sockets",
    order: DrainOrder.stopIntake,
    run: async () => {
      await Promise.all([...udp.values()].map((s) => s.close()));
      rejectionLog.close();
    },
  });
  service.lifecycle.onDrain({
    name: "flush in-flight publishes and the spool",
    order: DrainOrder.flush,
    run: async (signal) => {
      const left = await d.drain(signal);
      if (left.spoolDepth > 0)
        log.warn({ events: left.spoolDepth }, "drain left events in the spool for the next start");
    },
  });
  service.lifecycle.onDrain({
    name: "close NATS and the spool",
    order: DrainOrder.closeConnections,
    run: async () => {
      closed = true;
      await d.close();
      target.close?.();
      spool.close();
      if (nc !== undefined) await nc.drain().catch(() => nc?.close());
      // Still dialling: close the connection as soon as it exists.
      else if ("connecting" in startup)
        void startup.connecting.then(
          (c) => c.close(),
          () => {},
        );
    },
  });

  return {
    service,
    metrics,
    delivery: d,
    spool,
    udp,
    listenUdp: listenUdpAll,
    async listen() {
      await listenUdpAll();
      return service.listen();
    },
    async close() {
      await service.drain();
      await service.close();
    },
  };
}

function oldestSpooledAgeMs(spool: Spool): number {
  const oldest = spool.peekOldest();
  return oldest === undefined ? 0 : Math.max(0, Date.now() - decodeOutboundEvent(oldest).receivedAtMs);
}
