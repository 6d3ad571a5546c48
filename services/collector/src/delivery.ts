import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, LangtianError } from "@langtian/errors";
import type { CollectorMetrics, Tally } from "./metrics.ts";
import { decodeOutboundEvent, encodeOutboundEvent, type OutboundEvent } from "./outbound-event.ts";
import { type PublishTarget, sendVia } from "./publish-target.ts";
import type { Spool } from "./spool.ts";

/** Delivery settings. */
export interface DeliveryOptions {
  /** Direct publishes waiting for a PubAck at most; beyond it events go to the spool. */
  readonly maxInFlight: number;
  /**
   * How long the oldest direct publish may wait for its PubAck before the collector treats it
   * as in doubt and stops publishing directly (see {@link Delivery}).
   */
  readonly stallMs: number;
  /** Spooled events published concurrently per replay round. */
  readonly replayBatch: number;
  /** Pause after a failed replay round (and while disconnected). */
  readonly replayRetryMs: number;
  /**
   * How long submitted events are gathered before they are published together (one socket
   * write for all of them); 0 publishes them at the end of the current event-loop turn.
   */
  readonly batchDelayMs?: number;
}

/** Where an accepted event ended up. */
export type DeliveryOutcome = "published" | "duplicate" | "spooled";

/** Why an event was not accepted. */
export type RejectReason = "spool_full" | "spool_error" | "draining";

const REJECT_MESSAGES: Record<RejectReason, string> = {
  spool_full: "the spool is full",
  spool_error: "the spool cannot be written",
  draining: "the collector is draining",
};

function ignore(): void {}

/** Raised when an event cannot be accepted; the caller reports it (never silent). */
export class DeliveryRejectedError extends LangtianError {
  override readonly name = "DeliveryRejectedError";
  readonly reason: RejectReason;
  readonly code: ErrorCode;
  constructor(reason: RejectReason, options?: ErrorOptions) {
    super(REJECT_MESSAGES[reason], options);
    this.reason = reason;
    // A full spool is a limit the sender must respect; the others pass with time.
    this.code = reason === "spool_full" ? ErrorCode.resourceExhausted : ErrorCode.unavailable;
  }
}

/** A direct publish waiting for its PubAck, with what its sender waits for. */
interface DirectPublish {
  readonly event: OutboundEvent;
  /** Monotonic (performance.now()): a wall-clock step must not fake or hide a stall. */
  readonly sentAtMs: number;
  readonly resolve: (outcome: DeliveryOutcome) => void;
  readonly reject: (err: unknown) => void;
  /** Moved to the spool while still waiting: its own PubAck (or failure) no longer matters. */
  diverted: boolean;
}

/**
 * Gets every accepted event into JetStream exactly once (at-least-once publishing plus the
 * stream's `Nats-Msg-Id` dedupe), in arrival order. The rule: **nothing overtakes an event
 * whose fate is unknown.**
 * - While healthy, events are published directly, up to `maxInFlight` awaiting PubAcks.
 * - When publishing is slow (the in-flight bound reached, or the oldest PubAck overdue by
 *   `stallMs`) or NATS is disconnected, new events go to the spool, and while the spool is not
 *   empty every later event follows them there. The replay does not start before every
 *   direct publish has been answered, so spooled events never overtake them.
 * - When a direct publish fails (PubAck timeout, `no responders`, an error PubAck, the
 *   connection lost), it and every other publish still awaiting its PubAck are *in doubt* and
 *   go ahead of everything that arrived after them: into the spool, in arrival order, when
 *   the spool is empty; otherwise (later events are already spooled) into an in-memory queue
 *   the replay publishes before the spool. Nothing is retried directly: a retry would land
 *   behind events sent after it.
 * - The replay publishes in order and commits only acknowledged records. After a failure it
 *   sends one event alone and waits for its PubAck before sending batches again, so a stream
 *   still electing a leader fails one publish, not a batch.
 *
 * An in-doubt publish may have reached the stream (only its PubAck was lost or late): its
 * replay is then answered `duplicate` by the stream's duplicate window, which the replay must
 * reach in time.
 */
export class Delivery {
  readonly #target: PublishTarget;
  readonly #spool: Spool;
  readonly #metrics: CollectorMetrics;
  readonly #opts: DeliveryOptions;
  /** Direct publishes awaiting their PubAck, in arrival order (a Set keeps insertion order). */
  readonly #inFlight = new Set<DirectPublish>();
  /**
   * In-doubt publishes that must be replayed before the spool because later events were
   * spooled before they failed. In memory, like any publish awaiting its PubAck; written to the
   * spool at close if still there (no loss, but then behind the later events).
   */
  #front: DirectPublish[] = [];
  #spooling: boolean;
  /** After a failed publish the replay sends one event alone before batches again. */
  #probe = true;
  #spoolFailure: string | undefined;
  #closed = false;
  #stopped = false;
  #wake: (() => void) | undefined;
  #cancelFlush: (() => void) | undefined;
  #idle: (() => void)[] = [];
  #pending: {
    event: OutboundEvent;
    resolve: (outcome: DeliveryOutcome) => void;
    reject: (err: unknown) => void;
  }[] = [];
  readonly #replay: Promise<void>;
  readonly #published: Tally;
  readonly #duplicates: Tally;

  constructor(target: PublishTarget, spool: Spool, metrics: CollectorMetrics, opts: DeliveryOptions) {
    this.#target = target;
    this.#spool = spool;
    this.#metrics = metrics;
    this.#opts = opts;
    this.#published = metrics.tally(metrics.published);
    this.#duplicates = metrics.tally(metrics.duplicates);
    this.#spooling = spool.depth > 0;
    this.#replay = this.#replayLoop();
  }

  /** Publishes waiting for a PubAck right now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Whether new events go to the spool (it holds events, or publishing just failed). */
  get spooling(): boolean {
    return this.#spooling;
  }

  /** Why the last spool append failed (disk full, I/O error); undefined once one succeeds. */
  get spoolFailure(): string | undefined {
    return this.#spoolFailure;
  }

  /**
   * Accepts one event. Resolves once it is acknowledged by JetStream or safely in the
   * spool; rejects with {@link DeliveryRejectedError} when it cannot be taken.
   */
  submit(event: OutboundEvent): Promise<DeliveryOutcome> {
    if (this.#closed) return Promise.reject(this.#reject("draining"));
    return new Promise((resolve, reject) => this.#enqueue(event, resolve, reject));
  }

  /**
   * Like {@link submit} for senders that cannot be answered (datagrams): no promise per
   * event; `onRejected` gets what `submit` would have rejected with.
   */
  accept(
    event: OutboundEvent,
    onRejected: (err: unknown) => void,
    onSettled: (outcome: DeliveryOutcome) => void = ignore,
  ): void {
    if (this.#closed) onRejected(this.#reject("draining"));
    else this.#enqueue(event, onSettled, onRejected);
  }

  #enqueue(
    event: OutboundEvent,
    resolve: (outcome: DeliveryOutcome) => void,
    reject: (err: unknown) => void,
  ): void {
    this.#pending.push({ event, resolve, reject });
    if (this.#pending.length > 1) return;
    const delayMs = this.#opts.batchDelayMs ?? 0;
    if (delayMs > 0) {
      const timer = setTimeout(() => this.#routePending(), delayMs);
      this.#cancelFlush = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(() => this.#routePending());
      this.#cancelFlush = () => clearImmediate(immediate);
    }
  }

  // Events submitted within `batchDelayMs` (at least one event-loop turn) are published
  // together, so nats.js writes them to its socket in one write instead of one each: on
  // loopback a socket write cost more time than everything else done for an event.
  #routePending(): void {
    this.#cancelFlush?.();
    this.#cancelFlush = undefined;
    const batch = this.#pending;
    this.#pending = [];
    for (const p of batch) this.#route(p.event, p.resolve, p.reject);
  }

  // Callbacks rather than promises: this is every event's path, and a promise with its
  // reactions per event showed in the profile.
  #route(
    event: OutboundEvent,
    resolve: (outcome: DeliveryOutcome) => void,
    reject: (err: unknown) => void,
  ): void {
    let reason: string;
    if (this.#spooling) reason = "ordering";
    else if (!this.#target.isConnected()) {
      reason = "disconnected";
      // The connection is gone: whatever awaits its PubAck is in doubt and goes first.
      this.#divert();
    } else if (this.#inFlight.size >= this.#opts.maxInFlight) reason = "backpressure";
    else if (this.#oldestOverdue()) reason = "stalled";
    else {
      this.#direct(event, resolve, reject);
      return;
    }
    let outcome: DeliveryOutcome;
    try {
      outcome = this.#spoolNow(event, reason);
    } catch (err) {
      reject(err);
      return;
    }
    resolve(outcome);
  }

  /** Whether the oldest direct publish has waited longer than `stallMs` for its PubAck. */
  #oldestOverdue(): boolean {
    if (this.#inFlight.size === 0) return false;
    const oldest = this.#inFlight.values().next().value as DirectPublish;
    return performance.now() - oldest.sentAtMs > this.#opts.stallMs;
  }

  #direct(
    event: OutboundEvent,
    resolve: (outcome: DeliveryOutcome) => void,
    reject: (err: unknown) => void,
  ): void {
    const entry: DirectPublish = { event, sentAtMs: performance.now(), resolve, reject, diverted: false };
    this.#inFlight.add(entry);
    sendVia(this.#target, event, (err, duplicate) => {
      // Already diverted (spooled or queued for replay): a late PubAck only makes its replay a duplicate.
      if (entry.diverted) return;
      if (err === undefined) {
        this.#inFlight.delete(entry);
        this.#settled();
        resolve(this.#acknowledged(event, duplicate));
        return;
      }
      // Later events may already be on their way: they and everything after them must go
      // behind this one, so this one and every other unanswered publish are diverted now.
      this.#metrics.publishRetries.inc();
      this.#divert();
    });
  }

  /**
   * Puts every direct publish still awaiting its PubAck ahead of everything that arrived after
   * it: appended to the spool in arrival order when the spool is empty, else queued in memory
   * for the replay to publish before the spool. Switches to spooling: new events go behind.
   */
  #divert(): void {
    this.#spooling = true;
    if (this.#inFlight.size === 0) return;
    const waiting = [...this.#inFlight];
    this.#inFlight.clear();
    this.#probe = true;
    const durable = this.#front.length === 0 && this.#spool.depth === 0;
    for (const entry of waiting) {
      entry.diverted = true;
      if (!durable) {
        this.#front.push(entry);
        continue;
      }
      try {
        entry.resolve(this.#spoolNow(entry.event, "in_doubt"));
      } catch (err) {
        entry.reject(err);
      }
    }
    this.#settled();
    this.#wake?.();
  }

  #settled(): void {
    if (this.#inFlight.size > 0) return;
    for (const resolve of this.#idle.splice(0)) resolve();
    // The replay may have been waiting for the last direct publish to be answered.
    if (this.#spooling) this.#wake?.();
  }

  #acknowledged(event: OutboundEvent, duplicate: boolean): DeliveryOutcome {
    this.#metrics.sourceReadLatency.observe((Date.now() - event.receivedAtMs) / 1000);
    if (duplicate) {
      this.#duplicates.n++;
      return "duplicate";
    }
    this.#published.n++;
    return "published";
  }

  /** Appends to the spool, or throws {@link DeliveryRejectedError}. */
  #spoolNow(event: OutboundEvent, reason: string): DeliveryOutcome {
    let result: ReturnType<Spool["append"]>;
    try {
      result = this.#spool.append(encodeOutboundEvent(event));
    } catch (cause) {
      // Disk full or an I/O error: refuse loudly rather than pretend the event is safe.
      this.#spoolFailure = cause instanceof Error ? cause.message : String(cause);
      throw this.#reject("spool_error", cause);
    }
    this.#spoolFailure = undefined;
    if (!result.ok) {
      this.#metrics.spoolOverflow.inc({ policy: "reject-new" });
      throw this.#reject("spool_full");
    }
    if (result.dropped > 0) this.#metrics.spoolOverflow.inc({ policy: "drop-oldest" }, result.dropped);
    this.#metrics.spooled.inc({ reason });
    this.#spooling = true;
    this.#wake?.();
    return "spooled";
  }

  #reject(reason: RejectReason, cause?: unknown): DeliveryRejectedError {
    this.#metrics.rejected.inc({ reason });
    return new DeliveryRejectedError(reason, cause === undefined ? undefined : { cause });
  }

  async #replayLoop(): Promise<void> {
    // Let the constructor return before the first (synchronous) spool read.
    await Promise.resolve();
    while (!this.#stopped) {
      if (this.#spool.depth === 0 && this.#front.length === 0) {
        if (this.#inFlight.size === 0) this.#spooling = false;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      // Spooled events must not overtake direct publishes still awaiting their PubAck.
      if (!this.#target.isConnected() || this.#inFlight.size > 0) {
        if (!this.#target.isConnected()) this.#probe = true;
        await this.#pause();
        continue;
      }
      const failed = this.#front.length > 0 ? await this.#replayFront() : await this.#replaySpool();
      this.#probe = failed;
      if (failed) await this.#pause();
    }
  }

  /** Publishes the in-memory in-doubt queue in order; true when a publish failed. */
  async #replayFront(): Promise<boolean> {
    const batch = this.#front.slice(0, this.#probe ? 1 : this.#opts.replayBatch);
    const results = await Promise.allSettled(batch.map((e) => this.#target.publish(e.event)));
    let acked = 0;
    for (const [i, r] of results.entries()) {
      if (r.status !== "fulfilled") break;
      const entry = batch[i] as DirectPublish;
      entry.resolve(this.#acknowledged(entry.event, r.value.duplicate));
      this.#metrics.spoolReplayed.inc();
      acked++;
    }
    // Written to the spool at close meanwhile: the spool has them now.
    if (this.#front[0] === batch[0]) this.#front.splice(0, acked);
    if (acked === batch.length) return false;
    this.#metrics.publishRetries.inc(batch.length - acked);
    return true;
  }

  /** Publishes the next spool batch in order and commits the acknowledged prefix; true when a publish failed. */
  async #replaySpool(): Promise<boolean> {
    const batch = this.#spool.read(this.#probe ? 1 : this.#opts.replayBatch);
    if (batch.length === 0) {
      this.#spool.rewind();
      return true;
    }
    const events = batch.map((r) => decodeOutboundEvent(r.body));
    const results = await Promise.allSettled(events.map((e) => this.#target.publish(e)));
    // Commit the acknowledged prefix only, so a restart never skips an unacknowledged record.
    let acked = 0;
    for (const [i, r] of results.entries()) {
      if (r.status !== "fulfilled") break;
      this.#acknowledged(events[i] as OutboundEvent, r.value.duplicate);
      this.#metrics.spoolReplayed.inc();
      acked++;
    }
    if (acked > 0) this.#spool.commit((batch[acked - 1] as (typeof batch)[number]).next, acked);
    if (acked === batch.length) return false;
    this.#spool.rewind();
    this.#metrics.publishRetries.inc(batch.length - acked);
    return true;
  }

  #pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.#opts.replayRetryMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    }).finally(() => {
      this.#wake = undefined;
    });
  }

  /** Nudges the replay loop (e.g. after the connection came back). */
  poke(): void {
    this.#wake?.();
  }

  /**
   * Stops taking events, waits for in-flight publishes, then replays the spool until it
   * is empty, NATS is unreachable or `signal` aborts. Returns the events left in the spool (replayed at next start).
   */
  async drain(signal?: AbortSignal): Promise<{ readonly spoolDepth: number }> {
    this.#closed = true;
    // Route what was submitted before closing (it may be waiting for its batch timer).
    this.#routePending();
    await new Promise((resolve) => setImmediate(resolve));
    const aborted = new Promise<void>((resolve) => {
      if (signal?.aborted) resolve();
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
    if (this.#inFlight.size > 0) {
      await Promise.race([new Promise<void>((resolve) => this.#idle.push(resolve)), aborted]);
    }
    // Without NATS the spool cannot shrink: leave it on disk for the next start.
    while (
      (this.#spool.depth > 0 || this.#front.length > 0) &&
      !signal?.aborted &&
      this.#target.isConnected()
    ) {
      this.#wake?.();
      await Promise.race([sleep(20), aborted]);
    }
    this.#spoolFront();
    return { spoolDepth: this.#spool.depth };
  }

  /**
   * Writes in-doubt events still in memory to the spool, so stopping never loses them; they
   * then replay behind the events spooled after them (the one case where order gives way).
   */
  #spoolFront(): void {
    for (const entry of this.#front.splice(0)) {
      try {
        entry.resolve(this.#spoolNow(entry.event, "in_doubt"));
      } catch (err) {
        entry.reject(err);
      }
    }
  }

  /** Stops the replay loop (after {@link drain}); the spool keeps what is left. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopped = true;
    this.#wake?.();
    await this.#replay;
    this.#spoolFront();
  }
}
