import { create, type Registry, toJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { decodeEnvelope, decodePayload, devicePayloadRegistry } from "@langtian/envelope";
import { ErrorCode, LangtianError } from "@langtian/errors";
import { type TailedEvent, TailedEventSchema, type TailResponse, TailResponseSchema } from "@langtian/proto";
import { DeliverPolicy, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/** The subject filter is empty or not a NATS subject. */
export class InvalidSubjectFilterError extends LangtianError {
  override readonly name = "InvalidSubjectFilterError";
  override readonly code = ErrorCode.invalidArgument;
}

/** No JetStream stream holds the subject filter. */
export class NoStreamForSubjectError extends LangtianError {
  override readonly name = "NoStreamForSubjectError";
  override readonly code = ErrorCode.notFound;
}

/** Default and largest `max_events_per_second`. */
export const DEFAULT_TAIL_RATE = 10;
export const MAX_TAIL_RATE = 1_000;

/** What a tail follows and how much of it it sends. */
export interface TailOptions {
  readonly subjectFilter: string;
  /** Most events sent per second (a token bucket of this size, refilled at this rate). */
  readonly maxEventsPerSecond: number;
  /** Look at one event in `sample` (1 = every event). */
  readonly sample: number;
  /** Ends the tail (the client went away); the consumer is deleted. */
  readonly signal: AbortSignal;
  /** Payload types known to the JSON rendering (default: the device payloads). */
  readonly registry?: Registry;
  /** How often a report of skipped events is sent when no event carried it, in ms. */
  readonly reportMs?: number;
}

/** NATS subject tokens: no whitespace, `>` only last, wildcards alone in their token. */
function isSubjectFilter(subject: string): boolean {
  const tokens = subject.split(".");
  return tokens.every(
    (t, i) =>
      t !== "" &&
      !/\s/.test(t) &&
      (t !== ">" || i === tokens.length - 1) &&
      (t.length === 1 || !/[*>]/.test(t)),
  );
}

/**
 * Follows a subject filter from now on through an ephemeral ORDERED consumer of the stream
 * that holds it (never the pipeline's durable consumer: a tail acknowledges nothing and takes
 * nothing from anyone), and yields the events decoded. At most `maxEventsPerSecond` are sent
 * (bursts up to that many, then spread evenly: a sample over time rather than the first few
 * of each second); the others are skipped and their number rides on the next response, or on
 * a report of its own every `reportMs` while nothing is sent. Ends when `signal` aborts; the
 * consumer is deleted then (and the server drops it after 5 idle minutes should the admin die).
 */
export async function* tailEvents(nc: NatsConnection, o: TailOptions): AsyncGenerator<TailResponse> {
  if (!isSubjectFilter(o.subjectFilter))
    throw new InvalidSubjectFilterError(`${JSON.stringify(o.subjectFilter)} is not a NATS subject filter`);
  const jsm = await jetstreamManager(nc);
  const stream = await jsm.streams.find(o.subjectFilter).catch(() => undefined);
  if (stream === undefined || stream === "")
    throw new NoStreamForSubjectError(`no JetStream stream holds ${JSON.stringify(o.subjectFilter)}`);
  const consumer = await jetstream(nc).consumers.get(stream, {
    filter_subjects: [o.subjectFilter],
    deliver_policy: DeliverPolicy.New,
  });
  const messages = await consumer.consume({ max_messages: 256 });
  const rate = o.maxEventsPerSecond;
  const registry = o.registry ?? devicePayloadRegistry;
  const reportMs = o.reportMs ?? 1_000;
  // Sent events wait here for a slow client; beyond `rate` of them, the newest are skipped too.
  const queue: TailResponse[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  let skipped = 0n;
  let seen = 0;
  let tokens = rate;
  let refilledAt = performance.now();
  let lastSentAt = refilledAt;
  let failure: unknown;
  let ended = false;
  const pump = (async () => {
    for await (const m of messages) {
      seen++;
      const now = performance.now();
      tokens = Math.min(rate, tokens + ((now - refilledAt) / 1000) * rate);
      refilledAt = now;
      if (seen % o.sample !== 0 || tokens < 1 || queue.length >= rate) {
        skipped++;
        continue;
      }
      tokens--;
      queue.push(create(TailResponseSchema, { event: tailedEvent(m, registry), skipped }));
      skipped = 0n;
      lastSentAt = now;
      notify();
    }
  })().then(
    () => {
      ended = true;
      notify();
    },
    (err: unknown) => {
      failure = err;
      ended = true;
      notify();
    },
  );
  const report = setInterval(() => {
    if (skipped > 0n && performance.now() - lastSentAt >= reportMs) {
      queue.push(create(TailResponseSchema, { skipped }));
      skipped = 0n;
      lastSentAt = performance.now();
      notify();
    }
  }, reportMs);
  const onAbort = () => notify();
  o.signal.addEventListener("abort", onAbort, { once: true });
  try {
    while (!o.signal.aborted) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (ended) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    if (failure !== undefined) throw failure;
  } finally {
    clearInterval(report);
    o.signal.removeEventListener("abort", onAbort);
    await messages.close().catch(() => undefined);
    await pump;
    // The ordered consumer is ours alone: delete it now rather than leave it to its idle timeout.
    await consumer.delete().catch(() => undefined);
  }
}

/** One stream message as the tail shows it: the envelope's fields and the payload as JSON. */
export function tailedEvent(m: JsMsg, registry: Registry): TailedEvent {
  const event = create(TailedEventSchema, {
    subject: m.subject,
    streamSequence: BigInt(m.seq),
    storedAt: timestampFromMs(Math.floor(Number(m.info.timestampNanos) / 1e6)),
  });
  let envelope: ReturnType<typeof decodeEnvelope>;
  try {
    envelope = decodeEnvelope(m.data);
  } catch (err) {
    event.error = `not an envelope: ${err instanceof Error ? err.message : String(err)}`;
    event.rawPayload = m.data;
    return event;
  }
  event.eventId = envelope.eventId;
  event.eventType = envelope.eventType;
  event.schemaVersion = envelope.schemaVersion;
  event.sourceSystem = envelope.sourceSystem;
  event.partitionKey = envelope.partitionKey ?? "";
  if (envelope.eventTimestamp !== undefined) event.eventTimestamp = envelope.eventTimestamp;
  if (envelope.receivedTimestamp !== undefined) event.receivedTimestamp = envelope.receivedTimestamp;
  event.payloadType = envelope.payloadType;
  event.attributes = { ...envelope.attributes };
  const schema = registry.getMessage(envelope.payloadType);
  if (schema === undefined) {
    event.rawPayload = envelope.payload;
    return event;
  }
  try {
    event.payloadJson = JSON.stringify(
      toJson(schema, decodePayload(envelope, registry), { registry, alwaysEmitImplicit: true }),
    );
  } catch (err) {
    event.error = `payload: ${err instanceof Error ? err.message : String(err)}`;
    event.rawPayload = envelope.payload;
  }
  return event;
}
