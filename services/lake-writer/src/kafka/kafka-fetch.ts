import type { Consumer } from "@platformatic/kafka";
import type { PollResult, SourceRecord } from "../ingest/source.ts";

/** Bit of a record batch's attributes marking a transaction control batch. */
const CONTROL_BATCH = 0x20;

/** Partition id of the ingest loop: `<topic>:<partition>`. */
export function kafkaPartitionId(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** Topic and partition number of a partition id. */
export function parsePartitionId(id: string): { topic: string; partition: number } {
  const at = id.lastIndexOf(":");
  return { topic: id.slice(0, at), partition: Number(id.slice(at + 1)) };
}

/** Fetch options shared by the in-thread and the worker fetcher. */
export interface FetchOptions {
  topics: readonly string[];
  /** Longest a fetch waits on the broker for data. Default 200 ms. */
  fetchMaxWaitMs?: number;
  /** Most bytes per fetch. Default 16 MiB. */
  fetchMaxBytes?: number;
  /** Reads each record's `traceparent` header (only when spans are exported: it costs a scan of the headers). */
  readTraceparent?: boolean;
}

/** One fetch's records plus what it learnt about the partitions (for lag and offset commits). */
export interface FetchResult extends PollResult {
  highWatermarks: Map<string, bigint>;
  leaderEpochs: Map<string, number>;
}

/** Reads the records of the given partitions from the given positions; `close` stops a worker, if any. */
export type Fetcher = ((
  positions: ReadonlyMap<string, bigint>,
  signal: AbortSignal,
) => Promise<FetchResult>) & {
  close?(): Promise<void>;
};

/**
 * Plain fetch requests with `consumer` (never its group offsets): one request per leader,
 * records from `positions` on, transaction control batches skipped but counted in `reached`.
 * Failures rethrow after refreshing metadata (a moved leader heals; an offset that left
 * retention keeps failing, visibly: the writer never skips data).
 */
export function createFetcher(consumer: Consumer, options: FetchOptions, isClosed: () => boolean): Fetcher {
  async function ensureMetadata(forceUpdate = false) {
    return consumer.metadata({ topics: [...options.topics], forceUpdate });
  }
  return async (positions, signal) => {
    const result: FetchResult = {
      records: [],
      reached: new Map(),
      highWatermarks: new Map(),
      leaderEpochs: new Map(),
    };
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
      result.leaderEpochs.set(id, topicMeta.partitions[partition]?.leaderEpoch ?? -1);
    }
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
          if (isClosed() || signal.aborted) return;
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
            result.highWatermarks.set(id, part.highWatermark);
            let reached = from;
            for (const batch of part.records ?? []) {
              const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
              if (last + 1n > reached) reached = last + 1n;
              if (batch.attributes & CONTROL_BATCH) continue;
              for (const record of batch.records) {
                const offset = batch.firstOffset + BigInt(record.offsetDelta);
                // A fetch starts at the batch holding `from`: skip what came before it.
                if (offset < from || record.value === null) continue;
                const traceparent = options.readTraceparent ? traceparentOf(record.headers) : undefined;
                result.records.push({
                  partition: id,
                  position: offset,
                  value: record.value,
                  ...(traceparent === undefined ? {} : { traceparent }),
                } satisfies SourceRecord);
              }
            }
            if (reached > from) result.reached.set(id, reached);
          }
        }
      }),
    );
    return result;
  };
}

/** The value of a record's `traceparent` header, if it has one. */
function traceparentOf(headers: readonly (readonly [Buffer | null, Buffer | null])[]): string | undefined {
  for (const [key, value] of headers) {
    if (key !== null && value !== null && key.length === 11 && key.toString("latin1") === "traceparent") {
      return value.toString("latin1");
    }
  }
  return undefined;
}

/** Records of one fetch, packed: record i is `data[ends[i-1] … ends[i])` of partition `partitions[partitionOf[i]]`. */
export interface PackedRecords {
  partitions: string[];
  partitionOf: Uint32Array<ArrayBuffer>;
  positions: BigInt64Array<ArrayBuffer>;
  ends: Uint32Array<ArrayBuffer>;
  data: Uint8Array<ArrayBuffer>;
  /** Each record's `traceparent` ("" for none); absent when no record has one. */
  traceparents?: string[];
}

/** Copies the records' values into one buffer (the fetch buffers stay in this thread). */
export function packRecords(result: FetchResult): PackedRecords {
  const partitions: string[] = [];
  const index = new Map<string, number>();
  const count = result.records.length;
  const partitionOf = new Uint32Array(count);
  const positions = new BigInt64Array(count);
  const ends = new Uint32Array(count);
  let bytes = 0;
  for (const record of result.records) bytes += record.value.byteLength;
  const data = new Uint8Array(bytes);
  let traceparents: string[] | undefined;
  let end = 0;
  for (let i = 0; i < count; i++) {
    const record = result.records[i];
    if (!record) continue;
    let at = index.get(record.partition);
    if (at === undefined) {
      at = partitions.length;
      index.set(record.partition, at);
      partitions.push(record.partition);
    }
    partitionOf[i] = at;
    positions[i] = record.position;
    data.set(record.value, end);
    end += record.value.byteLength;
    ends[i] = end;
    if (record.traceparent !== undefined) {
      traceparents ??= new Array<string>(count).fill("");
      traceparents[i] = record.traceparent;
    }
  }
  return traceparents === undefined
    ? { partitions, partitionOf, positions, ends, data }
    : { partitions, partitionOf, positions, ends, data, traceparents };
}

/** Records of {@link packRecords} again: values are views of the one buffer, not copies. */
export function unpackRecords(packed: PackedRecords): SourceRecord[] {
  const { partitions, partitionOf, positions, ends, data, traceparents } = packed;
  const records: SourceRecord[] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i] as number;
    const record: SourceRecord = {
      partition: partitions[partitionOf[i] as number] as string,
      position: positions[i] as bigint,
      value: data.subarray(start, end),
    };
    const traceparent = traceparents?.[i];
    if (traceparent !== undefined && traceparent !== "") record.traceparent = traceparent;
    records[i] = record;
    start = end;
  }
  return records;
}
