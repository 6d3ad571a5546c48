import { create } from "@bufbuild/protobuf";
import { PartitionOverviewSchema, type TopicOverview, TopicOverviewSchema } from "@langtian/proto";
import { Consumer } from "@platformatic/kafka";

/** Positions the lake holds, by `kafka:<topic>` source and partition. */
export type LakePositions = ReadonlyMap<string, bigint>;

/** The key of a partition in {@link LakePositions}. */
export function positionKey(source: string, partition: string): string {
  return `${source}\u0000${partition}`;
}

/** Reads the topics' end offsets with one Kafka client kept between reads. */
export interface TopicReader {
  /**
   * End offsets of each topic's partitions beside the lake writer's positions stored in the
   * lake: their difference is the true lag of the exactly-once path. A topic that cannot be
   * read gets `error`; without lake positions (the lake unreadable) the lake fields are -1.
   */
  read(topics: readonly string[], positions: LakePositions | undefined): Promise<TopicOverview[]>;
  close(): Promise<void>;
}

/**
 * Creates the reader. The client (its connections and metadata) is kept between overviews and
 * replaced after a failure, so a read costs one offsets request per topic, not a new client.
 */
export function createTopicReader(bootstrap: readonly string[], timeoutMs: number): TopicReader {
  let probe: Consumer | undefined;
  const client = () =>
    (probe ??= new Consumer({
      groupId: "langtian-admin-probe",
      clientId: "langtian-admin",
      bootstrapBrokers: [...bootstrap],
      // One attempt: an overview must answer within its time even while a broker is down.
      retries: 0,
      timeout: timeoutMs,
    }));
  const drop = () => {
    const old = probe;
    probe = undefined;
    void old?.close(true).catch(() => undefined);
  };
  return {
    async read(topics, positions) {
      return Promise.all(
        topics.map(async (topic) => {
          try {
            const offsets = await client().listOffsets({ topics: [topic] });
            const ends = offsets.get(topic) ?? [];
            return create(TopicOverviewSchema, {
              name: topic,
              partitions: ends.map((end, partition) => {
                const lake = positions?.get(positionKey(`kafka:${topic}`, String(partition)));
                return create(PartitionOverviewSchema, {
                  partition,
                  endOffset: BigInt(end),
                  lakePosition: lake ?? -1n,
                  lakeLag: lake === undefined ? -1n : BigInt(end) - lake,
                });
              }),
            });
          } catch (err) {
            drop();
            return create(TopicOverviewSchema, {
              name: topic,
              error: err instanceof Error ? err.message : String(err),
            });
          }
        }),
      );
    },
    async close() {
      await probe?.close(true).catch(() => undefined);
      probe = undefined;
    },
  };
}
