import { createInbox, headers, type NatsConnection } from "@nats-io/transport-node";
import type { OutboundEvent } from "./outbound-event.ts";

/** Where the delivery loop publishes; JetStream in production, a fake in unit tests. */
export interface PublishTarget {
  /** Publishes and resolves with the PubAck; rejects when no PubAck arrives in time or it is an error. */
  publish(event: OutboundEvent): Promise<{ readonly duplicate: boolean }>;
  /** False while the connection is down: events go straight to the spool instead of waiting. */
  isConnected(): boolean;
  /** Stops listening for PubAcks; publishes still waiting are rejected. */
  close?(): void;
}

/** JetStream answered a publish with an error (stream full, wrong subject, no stream, ...). */
export class PublishRejectedError extends Error {
  override readonly name = "PublishRejectedError";
}

/** No PubAck within the timeout (NATS slow or gone; the event may or may not be stored). */
export class PubAckTimeoutError extends Error {
  override readonly name = "PubAckTimeoutError";
}

interface Waiting {
  readonly resolve: (ack: { duplicate: boolean }) => void;
  readonly reject: (err: Error) => void;
  readonly deadlineMs: number;
}

const fromUtf8 = new TextDecoder();

/**
 * JetStream publishing with asynchronous PubAcks, the way `nats bench js pub async` (the Go
 * client's PublishAsync) does it: a core publish with `Nats-Msg-Id` and a reply subject
 * under one inbox subscription, the PubAck matched by the reply token, and one sweeper timer
 * for timeouts. nats.js' `js.publish` runs a full request per event (its own timer, promise
 * chain and subscription bookkeeping), which measured several times the CPU per event.
 */
export function createJetStreamTarget(nc: NatsConnection, ackTimeoutMs: number): PublishTarget {
  const prefix = `${createInbox()}.`;
  const waiting = new Map<string, Waiting>();
  let next = 0;
  let connected = !nc.isClosed();

  const subscription = nc.subscribe(`${prefix}*`, {
    callback: (err, msg) => {
      if (err) return;
      const token = msg.subject.slice(prefix.length);
      const w = waiting.get(token);
      if (w === undefined) return;
      waiting.delete(token);
      // A status reply (e.g. 503: no stream listens on the subject) has no JSON body.
      if (msg.headers !== undefined && msg.headers.code >= 300) {
        w.reject(new PublishRejectedError(`${msg.headers.code} ${msg.headers.description}`));
        return;
      }
      const body = fromUtf8.decode(msg.data);
      // The common PubAck, {"stream":"S","seq":N}, needs no JSON parse: without these keys
      // it is neither an error nor a duplicate.
      if (
        body.startsWith('{"stream":') &&
        body.includes('"seq":') &&
        !body.includes('"error"') &&
        !body.includes('"duplicate"')
      ) {
        w.resolve({ duplicate: false });
        return;
      }
      try {
        const ack = JSON.parse(body) as {
          error?: { code?: number; description?: string };
          duplicate?: boolean;
        };
        if (ack.error) w.reject(new PublishRejectedError(`${ack.error.code} ${ack.error.description}`));
        else w.resolve({ duplicate: ack.duplicate === true });
      } catch (cause) {
        w.reject(new PublishRejectedError("unreadable PubAck", { cause }));
      }
    },
  });

  // Map iteration follows insertion, which follows deadlines: stop at the first live one.
  const sweeper = setInterval(
    () => {
      const now = Date.now();
      for (const [token, w] of waiting) {
        if (w.deadlineMs > now) break;
        waiting.delete(token);
        w.reject(new PubAckTimeoutError(`no PubAck within ${ackTimeoutMs} ms`));
      }
    },
    Math.max(10, Math.min(250, ackTimeoutMs / 4)),
  );
  sweeper.unref();

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
    publish(event) {
      return new Promise((resolve, reject) => {
        const token = (next++).toString(36);
        waiting.set(token, { resolve, reject, deadlineMs: Date.now() + ackTimeoutMs });
        const h = headers();
        h.set("Nats-Msg-Id", event.msgId);
        try {
          nc.publish(event.subject, event.data, { reply: prefix + token, headers: h });
        } catch (err) {
          waiting.delete(token);
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    },
    isConnected: () => connected && !nc.isClosed(),
    close() {
      clearInterval(sweeper);
      subscription.unsubscribe();
      for (const w of waiting.values()) w.reject(new PubAckTimeoutError("publisher closed"));
      waiting.clear();
    },
  };
}

/** A target that exists before its connection does: not connected until {@link set}. */
export interface SwitchableTarget extends PublishTarget {
  set(target: PublishTarget): void;
}

/** For a collector that starts while NATS is unreachable: everything spools until `set`. */
export function createSwitchableTarget(): SwitchableTarget {
  let current: PublishTarget | undefined;
  return {
    publish: (event) =>
      current === undefined
        ? Promise.reject(new PubAckTimeoutError("not connected to NATS yet"))
        : current.publish(event),
    isConnected: () => current?.isConnected() ?? false,
    close: () => current?.close?.(),
    set: (target) => {
      current = target;
    },
  };
}
