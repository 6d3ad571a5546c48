import type { EventTracer } from "@langtian/service-kit";
import type { Logger } from "pino";
import type { CollectorConfig, ListenerConfig } from "./config.ts";
import { createDatagramHandler } from "./datagram-handler.ts";
import type { DeadLetterSink } from "./dead-letter.ts";
import type { DecoderRegistry } from "./decoders/index.ts";
import type { Delivery } from "./delivery.ts";
import type { CollectorMetrics } from "./metrics.ts";
import type { RejectionLog } from "./rejection-log.ts";
import { onlyFromNetworks, type SourceNetworks } from "./source-networks.ts";
import { listenUdp, type UdpListener } from "./udp-listener.ts";
import { listenUdpThread } from "./udp-receive-thread.ts";

/** What binding the UDP listeners needs. */
export interface UdpIntakeOptions {
  readonly listeners: readonly ListenerConfig[];
  readonly udp: CollectorConfig["udp"];
  readonly decoders: DecoderRegistry;
  readonly udpSources: SourceNetworks;
  readonly subjectPrefix: string;
  /** Largest envelope JetStream takes (stream and server limits). */
  readonly maxEnvelopeBytes: number;
  readonly delivery: Delivery;
  readonly metrics: CollectorMetrics;
  readonly deadLetter: DeadLetterSink | undefined;
  readonly rejectionLog: RejectionLog;
  readonly tracer?: EventTracer | undefined;
  readonly log: Logger;
}

/**
 * Binds every configured UDP listener, each decoding with its decoder into `delivery`.
 * Datagrams from senders outside `udp.allowedSources` are read and counted, never decoded or
 * dead-lettered. Resolves with the bound sockets by listener name.
 */
export async function bindUdpListeners(o: UdpIntakeOptions): Promise<Map<string, UdpListener>> {
  const bound = new Map<string, UdpListener>();
  try {
    for (const l of o.listeners) bound.set(l.name, await bindOne(o, l));
  } catch (err) {
    // One port taken: release the ones already bound, so a retry (or the drain) finds none open.
    await Promise.all([...bound.values()].map((s) => s.close()));
    throw err;
  }
  return bound;
}

async function bindOne(o: UdpIntakeOptions, l: ListenerConfig): Promise<UdpListener> {
  const { metrics } = o;
  const decoder = o.decoders.get(l.decoder);
  if (decoder === undefined) throw new Error(`decoder ${l.decoder} is not registered`);
  const decode = createDatagramHandler({
    listener: l.name,
    decoder,
    defaults: l,
    subjectPrefix: o.subjectPrefix,
    maxDatagramBytes: o.udp.maxDatagramBytes,
    maxEnvelopeBytes: o.maxEnvelopeBytes,
    delivery: o.delivery,
    metrics,
    deadLetter: o.deadLetter,
    rejectionLog: o.rejectionLog,
    tracer: o.tracer,
  });
  const handler = onlyFromNetworks(o.udpSources, decode, (datagram, source) => {
    metrics.datagramsReceived.inc({ listener: l.name });
    metrics.bytesReceived.inc({ listener: l.name }, datagram.length);
    metrics.decodeErrors.inc({ listener: l.name, reason: "source_not_allowed" });
    o.rejectionLog({
      path: "udp",
      listener: l.name,
      reason: "source_not_allowed",
      detail: "sender is not in udp.allowedSources",
      input: datagram,
      source,
    });
  });
  const binding = { ...l, receiveBufferBytes: o.udp.receiveBufferBytes };
  const onSocketError = (err: Error) => o.log.error({ err, listener: l.name }, "UDP socket error");
  const socket = o.udp.receiveThread
    ? await listenUdpThread(
        binding,
        { maxQueued: o.udp.receiveThreadMaxQueued },
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
  o.log.info(
    {
      listener: l.name,
      host: l.host,
      port: socket.port,
      decoder: l.decoder,
      receiveBufferBytes: socket.receiveBufferBytes,
      receiveThread: o.udp.receiveThread,
    },
    "UDP listener bound",
  );
  return socket;
}
