import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { OutboundEvent } from "./outbound-event.ts";

/** Where the delivery loop publishes; JetStream in production, a fake in unit tests. */
export interface PublishTarget {
  /** Publishes and resolves with the PubAck; rejects when no PubAck arrives. */
  publish(event: OutboundEvent): Promise<{ readonly duplicate: boolean }>;
  /** False while the connection is down: events go straight to the spool instead of waiting. */
  isConnected(): boolean;
}

/**
 * A {@link PublishTarget} on a JetStream client: `Nats-Msg-Id` = event id, a PubAck timeout,
 * and connection state followed from the client's status events.
 */
export function createJetStreamTarget(
  nc: NatsConnection,
  js: JetStreamClient,
  ackTimeoutMs: number,
): PublishTarget {
  let connected = !nc.isClosed();
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "close") connected = false;
      else if (s.type === "reconnect") connected = true;
    }
  })();
  void nc.closed().then(() => {
    connected = false;
  });
  return {
    async publish(event) {
      // retries: 0 — the delivery loop owns retries, backoff and the spool fallback.
      const ack = await js.publish(event.subject, event.data, {
        msgID: event.msgId,
        timeout: ackTimeoutMs,
        retries: 0,
      });
      return { duplicate: ack.duplicate };
    },
    isConnected: () => connected && !nc.isClosed(),
  };
}
