import { create } from "@bufbuild/protobuf";
import { PartitionOverviewSchema, type TopicOverview, TopicOverviewSchema } from "@langtian/proto";
import { Consumer } from "@platformatic/kafka";

/** Positions the lake holds, by `kafka:<topic>` source and partition. */
export type LakePositions = ReadonlyMap<string, bigint>;

/** The key of a partition in {@link LakePositions}. */
export function positionKey(source: string, partition: string): string {
  return `${source}\u0000${partition}`;
}

/**
 * End offsets of each topic's partitions beside the lake writer's positions stored in the lake:
 * their difference is the true lag of the exactly-once path. A topic that cannot be read gets
 * `error`; without lake positions (the lake unreadable) the lake fields are -1.
 */
export async function readTopics(
  bootstrap: readonly string[],
  topics: readonly string[],
  positions: LakePositions | undefined,
  timeoutMs: number,
): Promise<TopicOverview[]> {
  if (topics.length === 0) return [];
  const probe = new Consumer({
    groupId: "langtian-admin-probe",
    clientId: "langtian-admin",
    bootstrapBrokers: [...bootstrap],
    // One attempt: an overview must answer within its time even while a broker is down.
    retries: 0,
    timeout: timeoutMs,
  });
  try {
    return await Promise.all(
      topics.map(async (topic) => {
        try {
          const offsets = await probe.listOffsets({ topics: [topic] });
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
          return create(TopicOverviewSchema, {
            name: topic,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }),
    );
  } finally {
    await probe.close(true).catch(() => undefined);
  }
}
