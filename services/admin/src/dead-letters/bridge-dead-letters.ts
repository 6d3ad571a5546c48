import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { decodeEnvelope } from "@langtian/envelope";
import { type DeadLetter, DeadLetterOriginSchema, DeadLetterSchema } from "@langtian/proto";
import { Consumer } from "@platformatic/kafka";

/** The stage name of the bridge's dead letters. */
export const BRIDGE_STAGE = "bridge";

/** Headers the bridge writes on a dead-letter record (services/bridge/src/mapping.ts). */
const Header = {
  reason: "langtian-dead-letter-reason",
  subject: "langtian-nats-subject",
  streamSequence: "langtian-nats-stream-seq",
  natsMsgId: "Nats-Msg-Id",
} as const;

/** Bit of a record batch's attributes marking a transaction control batch. */
const CONTROL_BATCH = 0x20;

/** `bridge/<topic>/<partition>/<offset>`. */
export function bridgeDeadLetterId(topic: string, partition: number, offset: bigint): string {
  return `${BRIDGE_STAGE}/${topic}/${partition}/${offset}`;
}

/** The bridge's dead letters: the records of its dead-letter topic. */
export interface BridgeDeadLetters {
  /** The newest `scan` records of each partition (raw bytes left out). */
  list(): Promise<DeadLetter[]>;
  /** One record, raw bytes included; undefined when the offset holds none. */
  get(partition: number, offset: bigint): Promise<DeadLetter | undefined>;
  close(): Promise<void>;
}

/**
 * Reads the dead-letter topic with plain fetches (no consumer group: reading commits nothing and
 * moves no one's position). A list looks at the newest `scan` records of each partition.
 */
export function createBridgeDeadLetters(
  bootstrap: readonly string[],
  topic: string,
  scan: number,
  timeoutMs: number,
): BridgeDeadLetters {
  const consumer = new Consumer({
    groupId: "langtian-admin-dead-letters",
    clientId: "langtian-admin",
    bootstrapBrokers: [...bootstrap],
    retries: 1,
    timeout: timeoutMs,
  });

  /** Records of `partition` in [from, to), at most `max`. */
  async function read(partition: number, from: bigint, to: bigint, withRaw: boolean): Promise<DeadLetter[]> {
    const metadata = await consumer.metadata({ topics: [topic] });
    const meta = metadata.topics.get(topic);
    const leader = meta?.partitions[partition]?.leader;
    if (meta === undefined || leader === undefined) return [];
    const out: DeadLetter[] = [];
    let position = from;
    while (position < to) {
      const response = await consumer.fetch({
        node: leader,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 8 * 1024 * 1024,
        topics: [
          {
            topicId: meta.id,
            partitions: [
              {
                partition,
                fetchOffset: position,
                partitionMaxBytes: 8 * 1024 * 1024,
                currentLeaderEpoch: -1,
                lastFetchedEpoch: -1,
              },
            ],
          },
        ],
      });
      let reached = position;
      for (const t of response.responses)
        for (const p of t.partitions)
          for (const batch of p.records ?? []) {
            const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
            if (last + 1n > reached) reached = last + 1n;
            if (batch.attributes & CONTROL_BATCH) continue;
            for (const record of batch.records) {
              const offset = batch.firstOffset + BigInt(record.offsetDelta);
              if (offset < position || offset >= to) continue;
              const headers = new Map<string, string>();
              for (const [k, v] of record.headers)
                if (k !== null) headers.set(k.toString(), v === null ? "" : v.toString());
              out.push(
                toDeadLetter(
                  topic,
                  partition,
                  offset,
                  Number(batch.firstTimestamp + record.timestampDelta),
                  headers,
                  record.value,
                  withRaw,
                ),
              );
            }
          }
      if (reached <= position) break;
      position = reached;
    }
    return out;
  }

  async function ends(): Promise<{ first: bigint[]; end: bigint[] }> {
    const end = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
    const first = (await consumer.listOffsets({ topics: [topic], timestamp: -2n })).get(topic) ?? [];
    return { first, end };
  }

  return {
    async list() {
      const { first, end } = await ends();
      const all = await Promise.all(
        end.map((e, partition) => {
          const start =
            e - BigInt(scan) > (first[partition] ?? 0n) ? e - BigInt(scan) : (first[partition] ?? 0n);
          return read(partition, start, e, false);
        }),
      );
      return all.flat();
    },
    async get(partition, offset) {
      const [found] = await read(partition, offset, offset + 1n, true);
      return found;
    },
    close: () => consumer.close(true).catch(() => undefined),
  };
}

function toDeadLetter(
  topic: string,
  partition: number,
  offset: bigint,
  timeMs: number,
  headers: ReadonlyMap<string, string>,
  value: Buffer | null,
  withRaw: boolean,
): DeadLetter {
  const why = headers.get(Header.reason) ?? "";
  const colon = why.indexOf(": ");
  // The collector publishes with Nats-Msg-Id = the event id; a record without its value (too
  // large) still says which event it was.
  let eventId = headers.get(Header.natsMsgId) ?? "";
  let eventType = "";
  if (value !== null && value.length > 0) {
    try {
      const envelope = decodeEnvelope(value);
      eventId = envelope.eventId;
      eventType = envelope.eventType;
    } catch {
      // Undecodable: that is often why it is here.
    }
  }
  return create(DeadLetterSchema, {
    id: bridgeDeadLetterId(topic, partition, offset),
    stage: BRIDGE_STAGE,
    reason: colon < 0 ? why : why.slice(0, colon),
    error: why,
    failedAt: timestampFromMs(timeMs),
    eventId,
    eventType,
    rawBytes: value?.length ?? 0,
    origin: create(DeadLetterOriginSchema, {
      subject: headers.get(Header.subject) ?? "",
      streamSequence: BigInt(headers.get(Header.streamSequence) ?? "0"),
      topic,
      partition,
      offset,
    }),
    ...(withRaw && value !== null && { raw: new Uint8Array(value) }),
  });
}
