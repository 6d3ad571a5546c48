import { type CompressionAlgorithmValue, Producer, stringSerializer } from "@platformatic/kafka";
import { RecordTooLargeError } from "./pipeline-errors.ts";
import type { OutboundRecord, RecordSink } from "./pipeline-ports.ts";

/** Kafka producer settings of the bridge. */
export interface KafkaSinkOptions {
  readonly bootstrap: readonly string[];
  readonly clientId: string;
  readonly compression: CompressionAlgorithmValue | "none";
  /** Per-request timeout; a broker that does not answer in time counts as an error. */
  readonly requestTimeoutMs: number;
  /** Client-level retries before a produce is reported failed (then the pipeline naks). */
  readonly retries: number;
  readonly retryDelayMs: number;
}

/** A {@link RecordSink} on a Kafka producer; also exposes a reachability probe for health. */
export interface KafkaSink extends RecordSink {
  /** Resolves when the cluster answers a metadata request. */
  ping(): Promise<void>;
  /** Since when sends and pings have been failing (epoch ms); undefined after a success. */
  failingSinceMs(): number | undefined;
  close(): Promise<void>;
}

/**
 * Creates the idempotent, acks=all producer. Idempotence makes the client's own retries safe
 * (no duplicate from a retried request), and acks=all means "confirmed" is "on every in-sync
 * replica". Retries are finite on purpose: an outage must surface so the pipeline can nak,
 * pause and report, instead of a send hanging for ever.
 */
export function createKafkaSink(options: KafkaSinkOptions): KafkaSink {
  const producer = new Producer<string, Buffer, string, string>({
    clientId: options.clientId,
    bootstrapBrokers: [...options.bootstrap],
    idempotent: true,
    acks: -1,
    ...(options.compression === "none" ? {} : { compression: options.compression }),
    autocreateTopics: false,
    timeout: options.requestTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    connectTimeout: options.requestTimeoutMs,
    retries: options.retries,
    retryDelay: options.retryDelayMs,
    serializers: { key: stringSerializer, headerKey: headerNameSerializer, headerValue: stringSerializer },
  });
  // A refused batch (too large) says nothing about reachability; any other failure does.
  let failingSince: number | undefined;
  const outcome = <T>(p: Promise<T>): Promise<T> =>
    p.then(
      (v) => {
        failingSince = undefined;
        return v;
      },
      (err: unknown) => {
        if (!(err instanceof RecordTooLargeError)) failingSince ??= Date.now();
        throw err;
      },
    );
  return {
    send: (records: readonly OutboundRecord[]) => outcome(send(records)),
    ping: () => outcome(producer.metadata({ topics: [], forceUpdate: true }).then(() => undefined)),
    failingSinceMs: () => failingSince,
    close: () => producer.close(true),
  };

  async function send(records: readonly OutboundRecord[]): Promise<void> {
    try {
      await producer.send({
        messages: records.map((r) => ({
          topic: r.topic,
          ...(r.key === undefined ? {} : { key: r.key }),
          ...(r.value === undefined ? {} : { value: toBuffer(r.value) }),
          headers: r.headers,
        })),
      });
    } catch (err) {
      if (hasApiId(err, "MESSAGE_TOO_LARGE") || hasApiId(err, "RECORD_LIST_TOO_LARGE")) {
        throw new RecordTooLargeError("Kafka refused the batch as too large", { cause: err });
      }
      throw err;
    }
  }
}

/** Encoded header names: a record carries about a dozen, always the same few. */
const headerNameBytes = new Map<string, Buffer>();

/**
 * Header-name serializer that encodes each distinct name once and reuses its bytes (the
 * client only copies them into the request), instead of a new Buffer per header per record.
 */
function headerNameSerializer(name?: string): Buffer | undefined {
  if (name === undefined) return undefined;
  let bytes = headerNameBytes.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name);
    // Bounded: names come from the bridge's own mapping, but never let a cache grow unchecked.
    if (headerNameBytes.size < 1000) headerNameBytes.set(name, bytes);
  }
  return bytes;
}

/** Zero-copy view of a Uint8Array as a Buffer. */
function toBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/** Looks for a Kafka protocol error id anywhere in an error tree (the client nests them). */
function hasApiId(err: unknown, id: string, depth = 0): boolean {
  if (typeof err !== "object" || err === null || depth > 5) return false;
  const e = err as { apiId?: unknown; errors?: unknown; cause?: unknown };
  if (e.apiId === id) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => hasApiId(x, id, depth + 1))) return true;
  return hasApiId(e.cause, id, depth + 1);
}
