import { createServiceApp, DrainOrder, type ListenAddress, type ServiceApp } from "@langtian/service-kit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { DestinationStream } from "pino";
import { type CollectorConfig, configSchema, parseListeners } from "./config.ts";
import { createDatagramHandler } from "./datagram-handler.ts";
import { createNatsDeadLetterSink } from "./dead-letter.ts";
import { createDefaultDecoders, type DecoderRegistry } from "./decoders/index.ts";
import { Delivery } from "./delivery.ts";
import { readKernelUdpStats } from "./kernel-udp-stats.ts";
import { type CollectorMetrics, createCollectorMetrics } from "./metrics.ts";
import { decodeOutboundEvent } from "./outbound-event.ts";
import { createJetStreamTarget } from "./publish-target.ts";
import { collectorRoutes, registerHttpIngest } from "./routes.ts";
import { Spool } from "./spool.ts";
import { ensureStream } from "./stream-provisioner.ts";
import { listenUdp, type UdpListener } from "./udp-listener.ts";

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
  readonly nats: NatsConnection;
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
 */
export async function createApp(config: CollectorConfig, deps: CollectorDeps = {}): Promise<CollectorApp> {
  const decoders = deps.decoders ?? createDefaultDecoders();
  const listeners = parseListeners(config.udp.listeners, decoders.names());
  const nc = await connect({
    servers: config.nats.url.split(","),
    name: "langtian-collector",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  let spool: Spool | undefined;
  try {
    const stream = await ensureStream(await jetstreamManager(nc), config.stream);
    spool = Spool.open(config.spool);
    return build(config, deps, decoders, listeners, nc, spool, stream);
  } catch (err) {
    spool?.close();
    await nc.close();
    throw err;
  }
}

function build(
  config: CollectorConfig,
  deps: CollectorDeps,
  decoders: DecoderRegistry,
  listeners: ReturnType<typeof parseListeners>,
  nc: NatsConnection,
  spool: Spool,
  stream: Awaited<ReturnType<typeof ensureStream>>,
): CollectorApp {
  const service = createServiceApp({
    schema: configSchema,
    version: COLLECTOR_VERSION,
    config,
    routes: (router) => collectorRoutes(ingestDeps())(router),
    ...(deps.logDestination !== undefined && { logDestination: deps.logDestination }),
  });
  const log = service.logger;
  if (stream.created) log.info({ stream: config.stream.name }, "created the event stream");
  for (const d of stream.differences) {
    log.warn(
      { stream: config.stream.name, field: d.field, live: d.live, configured: d.configured },
      `stream ${config.stream.name}: ${d.field} is ${d.live} but the configuration says ${d.configured}; the stream was not changed`,
    );
  }
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
  });
  const target = createJetStreamTarget(nc, jetstream(nc), config.nats.ackTimeoutMs);
  // `routes` above runs only when the server starts, after this line.
  const d = new Delivery(target, spool, metrics, config.publish);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "reconnect") {
        log.info("NATS connection back: replaying the spool");
        d.poke();
      } else if (s.type === "disconnect") log.warn("NATS connection lost: spooling events");
    }
  })();
  function ingestDeps() {
    return {
      delivery: d,
      metrics,
      options: { subjectPrefix: config.stream.subjectPrefix, ...config.ingest },
    };
  }
  registerHttpIngest(service.fastify, ingestDeps());

  service.health.add({
    name: "nats",
    check: () =>
      target.isConnected()
        ? { healthy: true, detail: `connected to ${nc.getServer()}` }
        : { healthy: false, detail: "not connected; events go to the spool" },
  });
  service.health.add({
    name: "spool",
    check: () => ({
      healthy: spool.bytes < config.spool.maxBytes * 0.9,
      detail: `${spool.depth} events, ${spool.bytes} of ${config.spool.maxBytes} bytes`,
    }),
  });
  service.lifecycle.addCounters(() => ({ spoolDepth: spool.depth, publishesInFlight: d.inFlight }));

  const deadLetter =
    config.deadLetter.subject === undefined
      ? undefined
      : createNatsDeadLetterSink(nc, config.deadLetter.subject, (reason) =>
          metrics.deadLettered.inc({ reason }),
        );
  const udp = new Map<string, UdpListener>();
  const listenUdpAll = async () => {
    if (udp.size > 0) return udp;
    for (const l of listeners) {
      const decoder = decoders.get(l.decoder);
      if (decoder === undefined) throw new Error(`decoder ${l.decoder} is not registered`);
      const handler = createDatagramHandler({
        listener: l.name,
        decoder,
        defaults: l,
        subjectPrefix: config.stream.subjectPrefix,
        maxDatagramBytes: config.udp.maxDatagramBytes,
        delivery: d,
        metrics,
        deadLetter,
      });
      const socket = await listenUdp(
        { ...l, receiveBufferBytes: config.udp.receiveBufferBytes },
        handler,
        (err) => log.error({ err, listener: l.name }, "UDP socket error"),
      );
      udp.set(l.name, socket);
      log.info(
        {
          listener: l.name,
          host: l.host,
          port: socket.port,
          decoder: l.decoder,
          receiveBufferBytes: socket.receiveBufferBytes,
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
      await d.close();
      spool.close();
      await nc.drain().catch(() => nc.close());
    },
  });

  return {
    service,
    metrics,
    delivery: d,
    spool,
    nats: nc,
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
