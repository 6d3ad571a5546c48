import { Worker } from "node:worker_threads";
import { Consumer, ListOffsetTimestamps } from "@platformatic/kafka";
import type { AssignmentListener, Source } from "../ingest/source.ts";
import type { PartitionKey } from "../lake/partition-ledger.ts";
import type { FetchReply, FetchRequest, FetchWorkerData } from "./fetch-worker.ts";
import {
  createFetcher,
  type Fetcher,
  type FetchResult,
  kafkaPartitionId,
  parsePartitionId,
  unpackRecords,
} from "./kafka-fetch.ts";

export { kafkaPartitionId } from "./kafka-fetch.ts";

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
  /** Reads each record's `traceparent` header (when spans are exported). */
  readTraceparent?: boolean;
  /** Classic group protocol session timeout. Default 20 s. */
  sessionTimeoutMs?: number;
  /**
   * Static membership id (KIP-345): a member restarted within the session timeout under the
   * same id takes its assignment back at once, without a rebalance; a dynamic member's
   * successor waits until the dead member's session expires.
   */
  groupInstanceId?: string;
  /**
   * Fetch and parse records on a worker thread (default true), beside the main thread's
   * routing and staging; false fetches on the calling thread.
   */
  fetchInWorker?: boolean;
}

/** Identity of a set of read positions, to match a read-ahead with the poll that wants it. */
function positionsKey(positions: ReadonlyMap<string, bigint>): string {
  let key = "";
  for (const [id, position] of positions) key += `${id}=${position};`;
  return key;
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
    // The client refuses a rebalance timeout below the session timeout.
    rebalanceTimeout: Math.max(30_000, options.sessionTimeoutMs ?? 20_000),
    retries: 5,
    ...(options.groupInstanceId !== undefined && { groupInstanceId: options.groupInstanceId }),
  });
  const highWatermarks = new Map<string, bigint>();
  const leaderEpochs = new Map<string, number>();
  let closed = false;
  /** The read-ahead: a fetch at the positions the next poll most likely asks for. */
  let prefetched: { key: string; result: Promise<FetchResult> } | undefined;

  async function ensureMetadata(forceUpdate = false) {
    return consumer.metadata({ topics: [...options.topics], forceUpdate });
  }

  const fetchAt: Fetcher =
    options.fetchInWorker === false
      ? createFetcher(consumer, options, () => closed)
      : createWorkerFetcher(options);

  return {
    groupAssigned: true,

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
      // Served from the fetch started when the previous poll returned, if it read from exactly
      // these positions (after a rewind or a new assignment it did not, and is dropped).
      const key = positionsKey(positions);
      const ahead = prefetched?.key === key ? prefetched.result : undefined;
      prefetched = undefined;
      const result = await (ahead ?? fetchAt(new Map(positions), signal));
      for (const [id, end] of result.highWatermarks) highWatermarks.set(id, end);
      for (const [id, epoch] of result.leaderEpochs) leaderEpochs.set(id, epoch);
      if (!closed && !signal.aborted) {
        // Where the loop reads next if it keeps every record: fetch it while this poll is routed.
        const next = new Map(positions);
        for (const [id, reached] of result.reached) next.set(id, reached);
        const started = fetchAt(next, signal);
        // A failed read-ahead surfaces only if it is used (the next poll awaits it).
        started.catch(() => undefined);
        prefetched = { key: positionsKey(next), result: started };
      }
      return { records: result.records, reached: result.reached };
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
      prefetched = undefined;
      await fetchAt.close?.();
      await consumer.close(true).catch(() => undefined);
    },
  };
}

/** A {@link Fetcher} running on a worker thread (see fetch-worker.ts), with a way to stop it. */
function createWorkerFetcher(options: KafkaSourceOptions): Fetcher & { close(): Promise<void> } {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve: (reply: FetchReply) => void; reject: (err: Error) => void }>();
  const failAll = (err: Error) => {
    for (const { reject } of pending.values()) reject(err);
    pending.clear();
  };
  const ensureWorker = (): Worker => {
    if (worker) return worker;
    const data: FetchWorkerData = {
      kafkaFetchWorker: true,
      bootstrap: options.bootstrap,
      clientId: options.clientId,
      topics: options.topics,
      ...(options.fetchMaxWaitMs !== undefined && { fetchMaxWaitMs: options.fetchMaxWaitMs }),
      ...(options.fetchMaxBytes !== undefined && { fetchMaxBytes: options.fetchMaxBytes }),
      ...(options.readTraceparent === true && { readTraceparent: true }),
    };
    // No resourceLimits: a fetch holds up to fetchMaxBytes per partition, so a writer that
    // fell behind needs far more than a small cap allows, and an out-of-memory worker fails
    // every fetch again (measured: a heap cap of 96 MiB stalled writers in the chaos test).
    const started = new Worker(new URL("./fetch-worker.ts", import.meta.url), { workerData: data });
    started.on("message", (reply: FetchReply) => {
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      waiter?.resolve(reply);
    });
    // A crashed worker fails what it had; the next fetch starts a new one.
    const lost = (err: Error) => {
      if (worker === started) worker = undefined;
      failAll(err);
    };
    started.on("error", lost);
    started.on("exit", (code) => lost(new Error(`Kafka fetch worker exited with code ${code}`)));
    worker = started;
    return started;
  };
  const fetcher = (positions: ReadonlyMap<string, bigint>, signal: AbortSignal): Promise<FetchResult> =>
    new Promise<FetchResult>((resolve, reject) => {
      const empty = (): FetchResult => ({
        records: [],
        reached: new Map(),
        highWatermarks: new Map(),
        leaderEpochs: new Map(),
      });
      if (signal.aborted) {
        resolve(empty());
        return;
      }
      const id = nextId++;
      // Aborted: answer at once with nothing, as the in-thread fetcher does; the reply is dropped.
      const onAbort = () => {
        pending.delete(id);
        resolve(empty());
      };
      signal.addEventListener("abort", onAbort, { once: true });
      pending.set(id, {
        resolve(reply) {
          signal.removeEventListener("abort", onAbort);
          if (!reply.ok) {
            const err = new Error(reply.message);
            err.name = reply.name;
            reject(err);
            return;
          }
          resolve({
            records: unpackRecords(reply.records),
            reached: new Map(reply.reached),
            highWatermarks: new Map(reply.highWatermarks),
            leaderEpochs: new Map(reply.leaderEpochs),
          });
        },
        reject(err) {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      });
      ensureWorker().postMessage({ id, positions: [...positions] } satisfies FetchRequest);
    });
  return Object.assign(fetcher, {
    async close() {
      const stopping = worker;
      worker = undefined;
      failAll(new Error("Kafka source closed"));
      await stopping?.terminate();
    },
  });
}
