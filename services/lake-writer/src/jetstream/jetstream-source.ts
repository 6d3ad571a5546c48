import {
  type Consumer,
  DeliverPolicy,
  type JetStreamClient,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { AssignmentListener, PollResult, Source } from "../ingest/source.ts";
import type { PartitionKey } from "../lake/partition-ledger.ts";

/** Options of {@link createJetStreamSource}. */
export interface JetStreamSourceOptions {
  /** NATS server URL(s), comma-separated. */
  url: string;
  stream: string;
  /** Subjects taken from the stream (empty: all). */
  filterSubjects?: readonly string[];
  /** Most messages per poll. Default 5000. */
  maxMessages?: number;
  /** Longest a poll waits for messages, in ms (JetStream's minimum is 1000). Default 1000. */
  expiresMs?: number;
}

/**
 * A JetStream stream as a {@link Source}, straight from NATS (no Kafka): one partition per
 * stream, read with an ordered consumer that starts at the stream sequence the lake
 * stored. Nothing is acked: the lake's sequence is the only cursor, so the stream must use
 * limits (not work-queue) retention. Several instances may run: each claims the stream
 * at start, and the newest claim fences the others (one active writer, the rest idle).
 */
export function createJetStreamSource(options: JetStreamSourceOptions): Source {
  const partition = options.stream;
  const filter = [...(options.filterSubjects ?? [])].sort();
  let nc: NatsConnection | undefined;
  let js: JetStreamClient | undefined;
  let consumer: Consumer | undefined;
  /** The sequence the current ordered consumer will deliver next. */
  let consumerNext: bigint | undefined;
  let pending = 0n;
  let closed = false;

  return {
    keyOf(id): PartitionKey {
      return { source: `jetstream:${id}`, partition: filter.length === 0 ? "*" : filter.join(",") };
    },

    async start(listener: AssignmentListener) {
      nc = await connect({ servers: options.url.split(","), maxReconnectAttempts: -1 });
      js = jetstream(nc);
      void nc.closed().then((err) => {
        if (!closed) listener.onError(err ?? new Error("NATS connection closed"));
      });
      listener.onAssignment([partition]);
    },

    async poll(positions, signal) {
      const result: PollResult = { records: [], reached: new Map() };
      const from = positions.get(partition);
      if (from === undefined || !js || signal.aborted) return result;
      if (!consumer || consumerNext !== from) {
        // A new position (start, or a rewind after a failed commit): a new ordered consumer.
        consumer = await js.consumers.get(options.stream, {
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: Number(from),
          ...(filter.length > 0 && { filter_subjects: filter }),
        });
        consumerNext = from;
      }
      const messages = await consumer.fetch({
        max_messages: options.maxMessages ?? 5000,
        expires: Math.max(1000, options.expiresMs ?? 1000),
      });
      let reached = from;
      for await (const message of messages) {
        const seq = BigInt(message.seq);
        if (seq >= reached) {
          result.records.push({ partition, position: seq, value: message.data });
          reached = seq + 1n;
        }
        pending = BigInt(message.info.pending);
      }
      if (reached > from) result.reached.set(partition, reached);
      consumerNext = reached;
      return result;
    },

    async initialPosition() {
      if (!nc) throw new Error("JetStream source not started");
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(options.stream);
      return BigInt(Math.max(1, info.state.first_seq));
    },

    async afterCommit() {
      // The lake holds the cursor; an ordered consumer has nothing to acknowledge.
    },

    lag(positions) {
      return new Map(positions.has(partition) ? [[partition, pending]] : []);
    },

    async close() {
      closed = true;
      await nc?.drain().catch(() => undefined);
    },
  };
}
