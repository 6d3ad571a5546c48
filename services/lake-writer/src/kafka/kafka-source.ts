import { Consumer, ListOffsetTimestamps } from "@platformatic/kafka";
import type { AssignmentListener, PollResult, Source, SourceRecord } from "../ingest/source.ts";
import type { PartitionKey } from "../lake/partition-ledger.ts";

/** Options of {@link createKafkaSource}. */
export interface KafkaSourceOptions {
  /** Comma-separated `host:port` list. */
  bootstrap: string;
  topics: readonly string[];
  groupId: string;
  clientId: string;
  /** Where a partition starts when the lake has no position for it. Default `earliest`. */
  startFrom?: "earliest" | "latest";
  /** Longest a fetch waits on the broker for data. Default 200 ms. */
  fetchMaxWaitMs?: number;
  /** Most bytes per fetch. Default 16 MiB. */
  fetchMaxBytes?: number;
  /** Classic group protocol session timeout. Default 20 s. */
  sessionTimeoutMs?: number;
  /** Static membership id (KIP-345): a restart within the session timeout keeps the assignment. */
  groupInstanceId?: string;
}

/** Bit of a record batch's attributes marking a transaction control batch. */
const CONTROL_BATCH = 0x20;

/** Partition id of the ingest loop: `<topic>:<partition>`. */
export function kafkaPartitionId(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

function parsePartitionId(id: string): { topic: string; partition: number } {
  const at = id.lastIndexOf(":");
  return { topic: id.slice(0, at), partition: Number(id.slice(at + 1)) };
}

/**
 * Kafka as a {@link Source}: the consumer group decides which partitions this instance
 * owns, but offsets come from the lake. Records are read with plain fetch requests at the
 * positions the ingest loop gives, never from the group's committed offsets, which are
 * committed afterwards for lag monitoring only.
 */
export function createKafkaSource(options: KafkaSourceOptions): Source {
  const consumer = new Consumer({
    clientId: options.clientId,
    groupId: options.groupId,
    bootstrapBrokers: options.bootstrap.split(","),
    autocommit: false,
    sessionTimeout: options.sessionTimeoutMs ?? 20_000,
    heartbeatInterval: 1_000,
    rebalanceTimeout: 30_000,
    retries: 5,
    ...(options.groupInstanceId !== undefined && { groupInstanceId: options.groupInstanceId }),
  });
  const highWatermarks = new Map<string, bigint>();
  const leaderEpochs = new Map<string, number>();
  let closed = false;

  async function ensureMetadata(forceUpdate = false) {
    return consumer.metadata({ topics: [...options.topics], forceUpdate });
  }

  return {
    keyOf(partition: string): PartitionKey {
      const { topic, partition: number } = parsePartitionId(partition);
      return { source: `kafka:${topic}`, partition: String(number) };
    },

    async start(listener: AssignmentListener) {
      consumer.on("consumer:group:join", (payload) => {
        const ids = (payload.assignments ?? []).flatMap((a) =>
          a.partitions.map((p) => kafkaPartitionId(a.topic, p)),
        );
        listener.onAssignment(ids);
      });
      for (const topic of options.topics) consumer.topics.track(topic);
      // Topics may not exist yet (the bridge creates them): wait for them instead of failing.
      for (;;) {
        try {
          await ensureMetadata(true);
          break;
        } catch (err) {
          if (closed) throw err;
          if (!/unknown topic/i.test(String((err as Error).message))) throw err;
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
      await consumer.joinGroup({});
    },

    async poll(positions, signal) {
      const metadata = await ensureMetadata();
      const byNode = new Map<number, Map<string, { topicId: string; topic: string; partitions: number[] }>>();
      for (const id of positions.keys()) {
        const { topic, partition } = parsePartitionId(id);
        const topicMeta = metadata.topics.get(topic);
        const leader = topicMeta?.partitions[partition]?.leader;
        if (!topicMeta || leader === undefined) continue;
        let topics = byNode.get(leader);
        if (!topics) {
          topics = new Map();
          byNode.set(leader, topics);
        }
        let entry = topics.get(topic);
        if (!entry) {
          entry = { topicId: topicMeta.id, topic, partitions: [] };
          topics.set(topic, entry);
        }
        entry.partitions.push(partition);
        leaderEpochs.set(id, topicMeta.partitions[partition]?.leaderEpoch ?? -1);
      }
      const result: PollResult = { records: [], reached: new Map() };
      const maxBytes = options.fetchMaxBytes ?? 16 * 1024 * 1024;
      await Promise.all(
        [...byNode].map(async ([node, topics]) => {
          if (signal.aborted) return;
          const topicIds = new Map([...topics.values()].map((t) => [t.topicId, t.topic]));
          let response: Awaited<ReturnType<typeof consumer.fetch>>;
          try {
            response = await consumer.fetch({
              node,
              maxWaitTime: options.fetchMaxWaitMs ?? 200,
              minBytes: 1,
              maxBytes,
              topics: [...topics.values()].map((t) => ({
                topicId: t.topicId,
                partitions: t.partitions.map((partition) => ({
                  partition,
                  fetchOffset: positions.get(kafkaPartitionId(t.topic, partition)) ?? 0n,
                  partitionMaxBytes: maxBytes,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                })),
              })),
            });
          } catch (err) {
            if (closed || signal.aborted) return;
            // A moved leader heals with fresh metadata; the loop counts the failure and retries.
            // An offset that left retention keeps failing, visibly: the writer never skips data.
            await ensureMetadata(true).catch(() => undefined);
            throw err;
          }
          for (const topicResponse of response.responses) {
            const topic = topicIds.get(topicResponse.topicId);
            if (topic === undefined) continue;
            for (const part of topicResponse.partitions) {
              const id = kafkaPartitionId(topic, part.partitionIndex);
              const from = positions.get(id);
              if (from === undefined) continue;
              highWatermarks.set(id, part.highWatermark);
              let reached = from;
              for (const batch of part.records ?? []) {
                const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
                if (last + 1n > reached) reached = last + 1n;
                if (batch.attributes & CONTROL_BATCH) continue;
                for (const record of batch.records) {
                  const offset = batch.firstOffset + BigInt(record.offsetDelta);
                  // A fetch starts at the batch holding `from`: skip what came before it.
                  if (offset < from || record.value === null) continue;
                  result.records.push({
                    partition: id,
                    position: offset,
                    value: record.value,
                  } satisfies SourceRecord);
                }
              }
              if (reached > from) result.reached.set(id, reached);
            }
          }
        }),
      );
      return result;
    },

    async initialPosition(partition) {
      const { topic, partition: number } = parsePartitionId(partition);
      const offsets = await consumer.listOffsets({
        topics: [topic],
        partitions: { [topic]: [number] },
        timestamp:
          options.startFrom === "latest" ? ListOffsetTimestamps.LATEST : ListOffsetTimestamps.EARLIEST,
      });
      return offsets.get(topic)?.[number] ?? 0n;
    },

    async afterCommit(positions) {
      if (closed || !consumer.isActive()) return;
      await consumer.commit({
        offsets: [...positions].map(([id, offset]) => {
          const { topic, partition } = parsePartitionId(id);
          return { topic, partition, offset, leaderEpoch: leaderEpochs.get(id) ?? -1 };
        }),
      });
    },

    lag(positions) {
      const lag = new Map<string, bigint>();
      for (const [id, position] of positions) {
        const end = highWatermarks.get(id);
        if (end !== undefined) lag.set(id, end > position ? end - position : 0n);
      }
      return lag;
    },

    async close() {
      if (closed) return;
      closed = true;
      await consumer.close(true).catch(() => undefined);
    },
  };
}
