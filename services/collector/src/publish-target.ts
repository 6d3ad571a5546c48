import { ErrorCode, LangtianError } from "@langtian/errors";
import { createInbox, headers, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import type { OutboundEvent } from "./outbound-event.ts";

/** How a callback-style publish ends: an error, or the PubAck's duplicate flag. */
export type PublishDone = (err: Error | undefined, duplicate: boolean) => void;

/** Where the delivery loop publishes; JetStream in production, a fake in unit tests. */
export interface PublishTarget {
  /** Publishes and resolves with the PubAck; rejects when no PubAck arrives in time or it is an error. */
  publish(event: OutboundEvent): Promise<{ readonly duplicate: boolean }>;
  /**
   * {@link publish} with a callback instead of a promise (the per-datagram path: a promise,
   * its executor and reactions per event measured in the profile). Optional for fakes.
   */
  send?(event: OutboundEvent, done: PublishDone): void;
  /** False while the connection is down: events go straight to the spool instead of waiting. */
  isConnected(): boolean;
  /** Stops listening for PubAcks; publishes still waiting are rejected. */
  close?(): void;
}

/** JetStream answered a publish with an error (stream full, wrong subject, no stream, ...). */
export class PublishRejectedError extends LangtianError {
  override readonly code = ErrorCode.failedPrecondition;
  override readonly name = "PublishRejectedError";
}

/** No PubAck within the timeout (NATS slow or gone; the event may or may not be stored). */
export class PubAckTimeoutError extends LangtianError {
  override readonly code = ErrorCode.deadlineExceeded;
  override readonly name = "PubAckTimeoutError";
}

/** The connection dropped while the publish waited (it may or may not be stored). */
export class ConnectionLostError extends LangtianError {
  override readonly code = ErrorCode.unavailable;
  override readonly name = "ConnectionLostError";
}

/** Publishes through {@link PublishTarget.send} when the target has it, else through `publish`. */
export function sendVia(target: PublishTarget, event: OutboundEvent, done: PublishDone): void {
  if (target.send !== undefined) target.send(event, done);
  else
    target.publish(event).then(
      (ack) => done(undefined, ack.duplicate),
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err)), false),
    );
}

interface Waiting {
  readonly done: PublishDone;
  /** Monotonic (performance.now()): a wall-clock step must not delay or fire every timeout. */
  readonly deadlineMs: number;
}

const HEADER_PREFIX = "NATS/1.0\r\nNats-Msg-Id: ";
/** What a header value cannot hold unchanged: a line break, or whitespace readers trim. */
const UNSAFE_IN_HEADER = /[\r\n]|^\s|\s$/;

/**
 * The header block of a publish: `Nats-Msg-Id` (the stream's dedupe) and the event's
 * metadata lines (the bridge reads them instead of decoding the envelope). nats.js only calls
 * `encode()` on the headers of a publish; its `headers()` object builds a Map, a string and a
 * fresh TextEncoder buffer per event, while this is one pooled Buffer. An id a header cannot
 * carry unchanged takes nats.js' own headers (which refuse line breaks, so the publish fails
 * clearly), without the metadata: the bridge then decodes the envelope.
 */
function publishHeaders(event: OutboundEvent): MsgHdrs {
  if (event.msgId === "" || UNSAFE_IN_HEADER.test(event.msgId)) {
    const h = headers();
    h.set("Nats-Msg-Id", event.msgId);
    return h;
  }
  const bytes = Buffer.from(`${HEADER_PREFIX}${event.msgId}\r\n${event.eventHeaderLines ?? ""}\r\n`, "utf8");
  return { encode: () => bytes } as unknown as MsgHdrs;
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
        w.done(new PublishRejectedError(`${msg.headers.code} ${msg.headers.description}`), false);
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
        w.done(undefined, false);
        return;
      }
      try {
        const ack = JSON.parse(body) as {
          error?: { code?: number; description?: string };
          duplicate?: boolean;
        };
        if (ack.error) w.done(new PublishRejectedError(`${ack.error.code} ${ack.error.description}`), false);
        else w.done(undefined, ack.duplicate === true);
      } catch (cause) {
        w.done(new PublishRejectedError("unreadable PubAck", { cause }), false);
      }
    },
  });

  // Map iteration follows insertion, which follows deadlines: stop at the first live one.
  const sweeper = setInterval(
    () => {
      const now = performance.now();
      for (const [token, w] of waiting) {
        if (w.deadlineMs > now) break;
        waiting.delete(token);
        w.done(new PubAckTimeoutError(`no PubAck within ${ackTimeoutMs} ms`), false);
      }
    },
    Math.max(10, Math.min(250, ackTimeoutMs / 4)),
  );
  sweeper.unref();

  // A lost connection answers every publish still waiting at once: nats.js discards what it
  // had not written when it reconnects, and the delivery must know before it sends more.
  const failWaiting = (why: string) => {
    const lost = [...waiting.values()];
    waiting.clear();
    for (const w of lost) w.done(new ConnectionLostError(why), false);
  };
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "close") {
        connected = false;
        failWaiting("connection to NATS lost before the PubAck");
      } else if (s.type === "reconnect") connected = true;
    }
  })();
  void nc.closed().then(() => {
    connected = false;
  });

  const send = (event: OutboundEvent, done: PublishDone) => {
    if (!connected) {
      done(new ConnectionLostError("not connected to NATS"), false);
      return;
    }
    const token = (next++).toString(36);
    waiting.set(token, { done, deadlineMs: performance.now() + ackTimeoutMs });
    try {
      nc.publish(event.subject, event.data, { reply: prefix + token, headers: publishHeaders(event) });
    } catch (err) {
      waiting.delete(token);
      done(err instanceof Error ? err : new Error(String(err)), false);
    }
  };
  return {
    send,
    publish: (event) =>
      new Promise((resolve, reject) =>
        send(event, (err, duplicate) => (err === undefined ? resolve({ duplicate }) : reject(err))),
      ),
    isConnected: () => connected && !nc.isClosed(),
    close() {
      clearInterval(sweeper);
      subscription.unsubscribe();
      for (const w of waiting.values()) w.done(new PubAckTimeoutError("publisher closed"), false);
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
    send: (event, done) =>
      current === undefined
        ? done(new PubAckTimeoutError("not connected to NATS yet"), false)
        : sendVia(current, event, done),
    isConnected: () => current?.isConnected() ?? false,
    close: () => current?.close?.(),
    set: (target) => {
      current = target;
    },
  };
}
