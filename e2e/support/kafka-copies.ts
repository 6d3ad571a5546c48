import { readTopic } from "@langtian/bridge/testing";
import { topicSize } from "./kafka-size.ts";

/** What a Kafka topic holds, per event id. */
export interface KafkaCopies {
  /** Records in the topic. */
  readonly records: number;
  /** Event id → the partitions its copies are in. */
  readonly partitionsOf: ReadonlyMap<string, ReadonlySet<number>>;
  /** Event id → its number of copies. */
  readonly copiesOf: ReadonlyMap<string, number>;
}

/**
 * Reads `topic` from the start with a plain consumer (a fresh group) up to the end offsets
 * it has now, and tallies every record by its event id header.
 */
export async function readKafkaCopies(
  bootstrap: string,
  topic: string,
  timeoutMs: number,
): Promise<KafkaCopies> {
  const records = await topicSize(bootstrap, topic);
  const partitionsOf = new Map<string, Set<number>>();
  const tally = await readTopic({
    bootstrap,
    topic,
    onRecord: (eventId, record) => {
      const seen = partitionsOf.get(eventId);
      if (seen) seen.add(record.partition);
      else partitionsOf.set(eventId, new Set([record.partition]));
    },
  });
  try {
    await tally.until((t) => t.total() >= records, timeoutMs);
  } finally {
    await tally.close();
  }
  return { records, partitionsOf, copiesOf: tally.counts };
}
