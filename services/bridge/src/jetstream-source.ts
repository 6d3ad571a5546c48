import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { deliveryFromAckSubject } from "./ack-subject.ts";
import { parseHeaderBlock } from "./nats-header-block.ts";
import type { Pipeline } from "./pipeline.ts";
import type { InboundMessage } from "./pipeline-ports.ts";
import { ORDERED_PRIORITY_GROUP } from "./provision.ts";

/** Binding and fetch settings of one bridge instance. */
export interface JetStreamSourceOptions {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly stream: string;
  readonly durable: string;
  /** Messages asked for in one pull request (the client renews at 75 % received). */
  readonly fetchBatch: number;
  /** Lifetime of one pull request; the client renews it. */
  readonly fetchExpiresMs: number;
  readonly pipeline: Pipeline;
  readonly logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** Pulls from the durable consumer into the pipeline. */
export interface JetStreamSource {
  /** Whether the bound consumer is in ordered mode (priority group with a pinned client). */
  readonly ordered: boolean;
  /** Whether this instance currently holds the pin (ordered mode); always true otherwise. */
  pinned(): boolean;
  /** Resolves when the fetch loop has ended (after `stop`, or on a fatal consumer error). */
  readonly done: Promise<void>;
  /** Stops fetching; anything still arriving is naked by the draining pipeline. */
  stop(): Promise<void>;
}

/**
 * Adapts a nats.js message to the pipeline's view of it. A class, not an object of closures:
 * one small allocation per message instead of six.
 */
class JsMsgAdapter implements InboundMessage {
  readonly data: Uint8Array;
  readonly subject: string;
  readonly streamSequence: number;
  readonly deliveryCount: number;
  readonly #m: JsMsg;
  /** Read on first use: a message without headers, or never asked, costs nothing. */
  #headers: ReadonlyMap<string, string> | undefined;

  constructor(m: JsMsg) {
    this.#m = m;
    this.data = m.data;
    this.subject = m.subject;
    // `reply` is on the client's message class, not its public type; without it, `info` it is.
    const fast = deliveryFromAckSubject((m as { readonly reply?: string }).reply);
    const info = fast ?? m.info;
    this.streamSequence = info.streamSequence;
    this.deliveryCount = info.deliveryCount;
  }

  header(name: string): string | undefined {
    this.#headers ??= messageHeaders(this.#m);
    return this.#headers.get(name);
  }
  ack(): void {
    this.#m.ack();
  }
  nak(delayMs?: number): void {
    this.#m.nak(delayMs);
  }
  working(): void {
    this.#m.working();
  }
  term(reason?: string): void {
    this.#m.term(reason);
  }
}

const noHeaders: ReadonlyMap<string, string> = new Map();

/** The client's message class inside a `JsMsg`, as far as its raw header block goes (not public). */
interface RawMessage {
  readonly _msg?: { readonly hdr?: unknown };
  readonly _rdata?: unknown;
}

/**
 * The headers of a message, read from its raw header block with the bridge's one-pass parser
 * ({@link parseHeaderBlock}). The block sits in the client's message class, not in its public
 * type; should a client version move it, the public (slower) `headers` are read instead.
 */
export function messageHeaders(m: JsMsg): ReadonlyMap<string, string> {
  const raw = (m as { readonly msg?: RawMessage }).msg;
  const hdr = raw?._msg?.hdr;
  const data = raw?._rdata;
  if (typeof hdr === "number" && data instanceof Uint8Array) {
    return hdr > 0 ? parseHeaderBlock(data.subarray(0, hdr)) : noHeaders;
  }
  const h = m.headers;
  if (h === undefined) return noHeaders;
  return new Map(h.keys().map((name) => [name, h.get(name)]));
}

/** Whether {@link messageHeaders} can read this message's raw header block (tests watch client upgrades). */
export function readsRawHeaders(m: JsMsg): boolean {
  const raw = (m as { readonly msg?: RawMessage }).msg;
  return typeof raw?._msg?.hdr === "number" && raw._rdata instanceof Uint8Array;
}

/** Adapts a nats.js message to the pipeline's view of it. */
export function adaptJsMsg(m: JsMsg): InboundMessage {
  return new JsMsgAdapter(m);
}

/**
 * Binds to the provisioned durable consumer (never creates it: binding fails clearly when the
 * provision step was not run) and starts fetching. Messages are handed to the pipeline as they
 * arrive (callback mode): nats.js's iterator would keep pulling into a hidden buffer while the
 * loop body waits, and messages waiting there get no in-progress acks, so under load they
 * outlive AckWait and come back as duplicates. The flow limit is the consumer's MaxAckPending.
 *
 * The mode follows the consumer: if it was provisioned with a priority group and the
 * pinned-client policy, this instance joins the group and only the pinned instance receives
 * messages.
 */
export async function startJetStreamSource(options: JetStreamSourceOptions): Promise<JetStreamSource> {
  const { js, pipeline, logger } = options;
  const consumer = await js.consumers.get(options.stream, options.durable);
  const info = await consumer.info(true);
  const ordered = info.config.priority_policy === "pinned_client";
  let isPinned = !ordered;
  const ackWaitMs = (info.config.ack_wait ?? 30e9) / 1e6;
  let pinId = "";
  let takeover: Promise<void> | undefined;
  let stopping = false;

  /**
   * Ordered mode, on winning the pin: the previous active instance may have died holding
   * messages that come back only after AckWait, while newer ones already flow to us. Writing
   * is paused until every unacked message of the consumer is ours (then the pipeline sorts
   * by stream sequence), bounded by AckWait plus one pull's lifetime.
   */
  const takeOver = async (): Promise<void> => {
    pipeline.pause();
    const deadline = Date.now() + ackWaitMs + options.fetchExpiresMs + 1000;
    try {
      while (!stopping && Date.now() < deadline) {
        const now = await consumer.info();
        if (now.num_ack_pending <= pipeline.inFlight()) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } catch (err) {
      logger?.warn({ err }, "consumer info failed during takeover; resuming after the bound");
    } finally {
      logger?.info({}, "takeover settled: writing in stream order");
      pipeline.resume();
    }
  };

  // The client's own default, made explicit: the drain's sweeper waits on these heartbeats.
  const heartbeatMs = idleHeartbeatMs(options.fetchExpiresMs);
  const messages: ConsumerMessages = await consumer.consume({
    max_messages: options.fetchBatch,
    expires: options.fetchExpiresMs,
    idle_heartbeat: heartbeatMs,
    ...(ordered ? { group: ORDERED_PRIORITY_GROUP } : {}),
    callback: (m) => {
      const msg = adaptJsMsg(m);
      if (ordered) {
        const id = msg.header("Nats-Pin-Id") ?? "";
        if (id !== "" && id !== pinId) {
          pinId = id;
          takeover = takeOver();
        }
      }
      pipeline.push(msg);
    },
  });

  suppressPullsWhen(messages, () => stopping);

  const statusLoop = (async () => {
    for await (const s of messages.status()) {
      if (s.type === "consumer_pinned") {
        isPinned = true;
        logger?.info({ pinId: s.id }, "this instance is now the pinned (active) consumer");
      } else if (s.type === "consumer_unpinned") {
        isPinned = false;
        logger?.warn({}, "this instance lost the pin");
      } else if (s.type === "consumer_deleted" || s.type === "consumer_not_found") {
        logger?.warn({ status: s.type }, "durable consumer missing: run the provision step");
      }
    }
  })();

  const done = (async () => {
    try {
      const err = await messages.closed();
      if (err instanceof Error) throw err;
    } finally {
      await statusLoop.catch(() => undefined);
      await takeover;
    }
  })();

  return {
    ordered,
    pinned: () => isPinned,
    done,
    async stop() {
      if (!stopping) {
        stopping = true;
        await sweepAfterStop(
          options.nc,
          messages,
          { fetchExpiresMs: options.fetchExpiresMs, heartbeatMs },
          () => messages.stop(),
          logger,
        );
      }
      return done;
    },
  };
}

/**
 * The idle heartbeat of a pull request: half its lifetime within [500 ms, 30 s], as nats.js
 * picks by default. A waiting pull request gets one from the server at least this often.
 */
export function idleHeartbeatMs(fetchExpiresMs: number): number {
  return Math.min(30_000, Math.max(500, fetchExpiresMs / 2));
}

/**
 * Makes the consume publish no pull request once `stopped()` says so. nats.js (3.4) can pull
 * after `stop()`: a reset (missed heartbeats, reconnect) awaits a consumer info and then pulls
 * without checking it was stopped meanwhile, and the server then delivers into an inbox nobody
 * reads any more. `pull` is not part of the public type; without it nothing changes (the
 * sweeper's quiet period still catches such a request's heartbeats). Returns whether it could.
 */
export function suppressPullsWhen(messages: ConsumerMessages, stopped: () => boolean): boolean {
  const internal = messages as unknown as { pull?: (opts: unknown) => void };
  const pull = internal.pull;
  if (typeof pull !== "function") return false;
  internal.pull = (opts: unknown) => {
    if (!stopped()) pull.call(messages, opts);
  };
  return true;
}

/** How long the sweeper runs after a consume stopped. */
interface SweepTiming {
  /** Lifetime of one pull request. */
  readonly fetchExpiresMs: number;
  /** Idle heartbeat of the pull requests ({@link idleHeartbeatMs}). */
  readonly heartbeatMs: number;
}

/**
 * Stops a consume without stranding messages. Stopping only unsubscribes; the server still
 * holds our pull requests until they end and keeps delivering into the now-deaf inbox, so
 * those messages would sit unacked for a whole AckWait (and, in ordered mode, block the next
 * instance). A second subscription on the same inbox naks whatever still arrives until every
 * pull request has really ended: at least one pull lifetime after the stop, and then until the
 * inbox has been quiet for longer than the idle heartbeat, since a pull request still open
 * always sends something (a message, a heartbeat, its expiry) within that time. A pull that
 * reached the server late (a busy client or server) is thereby waited for too. Bounded: a
 * quiet period never comes only if something keeps pulling, which nothing does once stopped.
 */
async function sweepAfterStop(
  nc: NatsConnection,
  messages: ConsumerMessages,
  timing: SweepTiming,
  stop: () => void,
  logger?: { warn(obj: object, msg: string): void },
): Promise<void> {
  // The inbox is not part of the public type; without it we fall back to a plain stop.
  const inbox = (messages as unknown as { inbox?: unknown }).inbox;
  if (typeof inbox !== "string" || nc.isClosed()) {
    stop();
    return;
  }
  let stopped = false;
  let lastHeardMs = Date.now();
  const sweeper = nc.subscribe(inbox, {
    callback: (_err, msg) => {
      // Any message, heartbeat or status: a pull request is still open.
      lastHeardMs = Date.now();
      // Until stop() returns, the pipeline's own subscription sees (and naks) every message.
      if (!stopped) return;
      if (msg.reply?.startsWith("$JS.ACK.")) msg.respond("-NAK");
    },
  });
  // The client routes deliveries by subscription id, not subject: the server must know the
  // sweeper before the old subscription goes, or deliveries already on the wire are dropped.
  await nc.flush();
  stop();
  stopped = true;
  // Every message the old subscription got before stop() is the pipeline's; the rest is ours.
  const stoppedAtMs = Date.now();
  const quietMs = timing.heartbeatMs + 500;
  const earliestMs = stoppedAtMs + timing.fetchExpiresMs + 500;
  const latestMs = stoppedAtMs + 2 * timing.fetchExpiresMs + quietMs;
  for (;;) {
    const now = Date.now();
    const untilMs = Math.min(latestMs, Math.max(earliestMs, lastHeardMs + quietMs));
    if (now >= untilMs) {
      // A timer can fire after a stalled event loop (a loaded box) before the socket's buffered
      // deliveries were read, and the inbox then only looks quiet. A round trip to the server
      // reads everything it sent before its answer: quiet only if that brought nothing.
      const heardBefore = lastHeardMs;
      await nc.flush().catch(() => undefined);
      if (lastHeardMs === heardBefore || Date.now() >= latestMs) break;
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, untilMs - now));
  }
  if (Date.now() >= latestMs && Date.now() - lastHeardMs < quietMs) {
    logger?.warn({ inbox }, "deliveries still arriving after the drain's sweep: later ones wait for AckWait");
  }
  sweeper.unsubscribe();
}
