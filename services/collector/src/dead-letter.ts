import { headers, type NatsConnection } from "@nats-io/transport-node";

/** Where rejected datagrams go, raw, with the reason (optional; counting always happens). */
export interface DeadLetterSink {
  send(raw: Uint8Array, reason: string, listener: string, detail: string): void;
}

/**
 * Publishes rejected datagrams to a plain NATS subject (core publish, best effort: the
 * datagram was already counted as rejected; a stream on the subject makes it durable).
 * Headers: `Langtian-Reason`, `Langtian-Listener`, `Langtian-Detail`. Nothing is sent before
 * the first connection.
 */
export function createNatsDeadLetterSink(
  connection: () => NatsConnection | undefined,
  subject: string,
  onSent: (reason: string) => void,
): DeadLetterSink {
  return {
    send(raw, reason, listener, detail) {
      const nc = connection();
      if (nc === undefined) return;
      const h = headers();
      h.set("Langtian-Reason", reason);
      h.set("Langtian-Listener", listener);
      // Header values are single-line; decoder messages may quote arbitrary input.
      h.set("Langtian-Detail", detail.replace(/[\r\n]+/g, " ").slice(0, 512));
      try {
        nc.publish(subject, raw, { headers: h });
        onSent(reason);
      } catch {
        // A closed connection: the datagram stays counted as rejected, which is what matters.
      }
    },
  };
}
