/**
 * Worker thread of the Kafka source: fetches and parses records with its own
 * `@platformatic/kafka` client (no group membership: it only reads at the positions it is
 * given) and hands them to the main thread packed in a few transferable buffers, so the
 * client's record parsing runs beside the main thread's routing and staging instead of
 * before them. Started by `createKafkaSource`; speaks {@link FetchRequest} / {@link FetchReply}.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Consumer } from "@platformatic/kafka";
import { createFetcher, type FetchOptions, type PackedRecords, packRecords } from "./kafka-fetch.ts";

/** What the source asks the worker. */
export interface FetchRequest {
  id: number;
  positions: [string, bigint][];
}

/** The worker's answer to request `id`. */
export type FetchReply =
  | {
      id: number;
      ok: true;
      records: PackedRecords;
      reached: [string, bigint][];
      highWatermarks: [string, bigint][];
      leaderEpochs: [string, number][];
    }
  | { id: number; ok: false; name: string; message: string };

/** Options the source passes as `workerData`. */
export interface FetchWorkerData extends FetchOptions {
  /** Marks this module's own worker (the module is also imported for its types). */
  kafkaFetchWorker: true;
  bootstrap: string;
  clientId: string;
}

if (parentPort && (workerData as Partial<FetchWorkerData> | null)?.kafkaFetchWorker === true) {
  const port = parentPort;
  const options = workerData as FetchWorkerData;
  const consumer = new Consumer({
    clientId: `${options.clientId}-fetch`,
    // Required by the client; this consumer never joins its group.
    groupId: `${options.clientId}-fetch`,
    bootstrapBrokers: options.bootstrap.split(","),
    autocommit: false,
    retries: 5,
  });
  const fetch = createFetcher(consumer, options, () => false);
  const signal = new AbortController().signal;
  port.on("message", async (request: FetchRequest) => {
    try {
      const result = await fetch(new Map(request.positions), signal);
      const records = packRecords(result);
      const reply: FetchReply = {
        id: request.id,
        ok: true,
        records,
        reached: [...result.reached],
        highWatermarks: [...result.highWatermarks],
        leaderEpochs: [...result.leaderEpochs],
      };
      port.postMessage(reply, [
        records.partitionOf.buffer,
        records.positions.buffer,
        records.ends.buffer,
        records.data.buffer,
      ]);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      port.postMessage({
        id: request.id,
        ok: false,
        name: error.name,
        message: error.message,
      } satisfies FetchReply);
    }
  });
}
