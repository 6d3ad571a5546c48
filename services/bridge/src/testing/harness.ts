import { createEnvelope, encodeEnvelope, eventHeaderEntries, uuidv7 } from "@langtian/envelope";
import type { Envelope } from "@langtian/proto";
import type { JetStreamClient } from "@nats-io/jetstream";
import { type MsgHdrs, headers as natsHeaders } from "@nats-io/transport-node";
import { Consumer, type Message, stringDeserializer } from "@platformatic/kafka";
import { BridgeHeaders } from "../mapping.ts";

/**
 * Test and benchmark harness: drives a bridge only through NATS and Kafka, so any bridge
 * process can be measured with it.
 */

/** Fields of a test envelope. */
interface TestEnvelopeInit {
  eventId: string;
  partitionKey: string;
  payloadBytes: number;
}

/** Encodes one valid test envelope. */
export function testEnvelope(opts: TestEnvelopeInit): Uint8Array {
  return encodeEnvelope(testEnvelopeOf(opts));
}

function testEnvelopeOf(opts: TestEnvelopeInit): Envelope {
  return createEnvelope({
    eventId: opts.eventId,
    eventType: "device.telemetry",
    schemaVersion: "1.0",
    sourceSystem: "bench/site-1",
    partitionKey: opts.partitionKey,
    payloadType: "application/octet-stream",
    payload: new Uint8Array(opts.payloadBytes),
  });
}

/** The event-metadata NATS headers the collector publishes with an envelope. */
export function eventHeadersOf(envelope: Envelope): MsgHdrs {
  const h = natsHeaders();
  for (const [name, value] of eventHeaderEntries(envelope) ?? []) h.set(name, value);
  return h;
}

/** Options of {@link publishEvents}. */
export interface PublishOptions {
  readonly subject: string;
  readonly count: number;
  /** Number of distinct partition keys (`dev-0` … `dev-{keys-1}`), assigned round-robin. */
  readonly keys?: number;
  readonly payloadBytes?: number;
  /** Publishes awaiting their PubAck at once. */
  readonly window?: number;
  /** Events per second; unlimited when unset. */
  readonly ratePerSec?: number;
  /**
   * Publish the event-metadata headers with each envelope, as the collector does (default
   * true); false publishes the envelope with `Nats-Msg-Id` only, as older collectors did.
   */
  readonly eventHeaders?: boolean;
  /** Called with each event id and its publish time (ms, performance.now()) as its PubAck arrives. */
  readonly onPublished?: (eventId: string, publishedAtMs: number) => void;
}

/** What was published, in order. */
export interface Published {
  readonly eventIds: string[];
  /** Event id → partition key. */
  readonly keyOf: Map<string, string>;
}

/**
 * Publishes `count` envelopes with `Nats-Msg-Id` = event id and the event-metadata headers
 * (unless `eventHeaders` is false), keeping `window` publishes in
 * flight, paced to `ratePerSec` when given. Resolves when every PubAck arrived.
 */
export async function publishEvents(js: JetStreamClient, options: PublishOptions): Promise<Published> {
  const keys = options.keys ?? 16;
  const window = options.window ?? 1000;
  const payloadBytes = options.payloadBytes ?? 100;
  const eventHeaders = options.eventHeaders ?? true;
  const eventIds: string[] = [];
  const keyOf = new Map<string, string>();
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  for (let i = 0; i < options.count; i++) {
    if (options.ratePerSec !== undefined) {
      const due = started + (i * 1000) / options.ratePerSec;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
    const eventId = uuidv7();
    const key = `dev-${i % keys}`;
    eventIds.push(eventId);
    keyOf.set(eventId, key);
    const envelope = testEnvelopeOf({ eventId, partitionKey: key, payloadBytes });
    const t = performance.now();
    const p = js
      .publish(options.subject, encodeEnvelope(envelope), {
        msgID: eventId,
        ...(eventHeaders ? { headers: eventHeadersOf(envelope) } : {}),
      })
      .then(() => {
        options.onPublished?.(eventId, t);
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { eventIds, keyOf };
}

/** Reads a topic from the beginning and tallies events by id. */
export interface KafkaTally {
  /** Event id → how many times it was seen. */
  readonly counts: Map<string, number>;
  /** Partition key → event ids in the order Kafka holds them (one key lives in one partition). */
  readonly orderByKey: Map<string, string[]>;
  /** Records seen in total. */
  total(): number;
  /** Records whose event id was already seen. */
  duplicates(): number;
  /** Resolves once `predicate` holds (checked on every record); rejects after `timeoutMs`. */
  until(predicate: (tally: KafkaTally) => boolean, timeoutMs: number): Promise<void>;
  /** Raw records of the topic (headers as strings), for tests that inspect them. */
  readonly records: Message<string, Buffer, string, string>[];
  close(): Promise<void>;
}

/** Options of {@link readTopic}. */
export interface ReadTopicOptions {
  readonly bootstrap: string;
  readonly topic: string;
  /** Keep every record in `records` (tests); off for benchmarks. */
  readonly keepRecords?: boolean;
  /** Called for every record as it is read (time it with performance.now()). */
  readonly onRecord?: (eventId: string, record: Message<string, Buffer, string, string>) => void;
}

/** Starts reading `topic` from its earliest offset with a fresh consumer group. */
export async function readTopic(options: ReadTopicOptions): Promise<KafkaTally> {
  const consumer = new Consumer<string, Buffer, string, string>({
    groupId: `tally-${uuidv7()}`,
    clientId: "langtian-bridge-tally",
    bootstrapBrokers: options.bootstrap.split(","),
    deserializers: {
      key: stringDeserializer,
      headerKey: stringDeserializer,
      headerValue: stringDeserializer,
    },
    maxWaitTime: 100,
    retries: Number.MAX_SAFE_INTEGER,
    retryDelay: 500,
  });
  const counts = new Map<string, number>();
  const orderByKey = new Map<string, string[]>();
  const records: Message<string, Buffer, string, string>[] = [];
  let total = 0;
  let duplicates = 0;
  const waiters = new Set<() => void>();
  const stream = await consumer.consume({ topics: [options.topic], mode: "earliest", autocommit: false });
  const tally: KafkaTally = {
    counts,
    orderByKey,
    records,
    total: () => total,
    duplicates: () => duplicates,
    until(predicate, timeoutMs) {
      if (predicate(tally)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `Kafka tally: condition not met in ${timeoutMs} ms (total ${total}, dups ${duplicates})`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (!predicate(tally)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    async close() {
      await stream.close();
      await consumer.close(true);
    },
  };
  stream.on("data", (record: Message<string, Buffer, string, string>) => {
    const eventId = record.headers.get(BridgeHeaders.eventId) ?? "";
    total++;
    const seen = counts.get(eventId) ?? 0;
    if (seen > 0) duplicates++;
    counts.set(eventId, seen + 1);
    const key = record.key ?? "";
    const order = orderByKey.get(key) ?? [];
    if (order.length === 0) orderByKey.set(key, order);
    order.push(eventId);
    if (options.keepRecords) records.push(record);
    options.onRecord?.(eventId, record);
    for (const w of [...waiters]) w();
  });
  return tally;
}

/** Event ids of `published` that the tally has not seen. */
export function missingEvents(published: readonly string[], tally: KafkaTally): string[] {
  return published.filter((id) => !tally.counts.has(id));
}
