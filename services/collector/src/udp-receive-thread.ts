import { Worker } from "node:worker_threads";
import type { DatagramHandler } from "./datagram-handler.ts";
import type { InputSource } from "./rejection-log.ts";
import type { UdpBinding, UdpListener } from "./udp-listener.ts";
import type { FromWorker, ToWorker, WorkerSetup } from "./udp-receive-protocol.ts";

/** Tuning of a threaded UDP listener. */
export interface ReceiveThreadOptions {
  /** Datagrams handed over and not yet processed before new ones are dropped (and counted). */
  readonly maxQueued: number;
  /** Datagrams per hand-over batch. */
  readonly batchDatagrams?: number;
  /** Longest a datagram waits in the worker before its batch is handed over, in ms. */
  readonly batchDelayMs?: number;
}

/**
 * Like `listenUdp`, but the socket lives on a worker thread that only reads it and hands
 * datagrams over in batches; `onDatagram` still runs on the calling thread, in arrival
 * order, so decoders and delivery are unchanged. `onDropped` gets datagrams the worker
 * refused because `maxQueued` were waiting. `close()` closes the socket first, then
 * processes everything already read, then ends the thread.
 */
export async function listenUdpThread(
  binding: UdpBinding,
  options: ReceiveThreadOptions,
  onDatagram: DatagramHandler,
  onDropped: (datagrams: number, bytes: number) => void,
  onError: (err: Error) => void,
): Promise<UdpListener> {
  const processedShared = new SharedArrayBuffer(4);
  const processed = new Int32Array(processedShared);
  const setup: WorkerSetup = {
    host: binding.host,
    port: binding.port,
    receiveBufferBytes: binding.receiveBufferBytes,
    batchDatagrams: options.batchDatagrams ?? 256,
    batchBytes: 128 * 1024,
    batchDelayMs: options.batchDelayMs ?? 1,
    maxQueued: options.maxQueued,
    processed: processedShared,
  };
  const worker = new Worker(new URL("./udp-receive-worker.ts", import.meta.url), { workerData: setup });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  let onClosed: () => void = () => {};
  const closedMessage = new Promise<void>((resolve) => {
    onClosed = resolve;
  });

  const bound = new Promise<{ port: number; receiveBufferBytes: number }>((resolve, reject) => {
    worker.once("error", reject);
    worker.on("message", (m: FromWorker) => {
      switch (m.type) {
        case "batch": {
          if (m.dropped > 0) onDropped(m.dropped, m.droppedBytes);
          const lengths = new Uint32Array(m.lengths);
          const times = new Float64Array(m.times);
          const sourceIndex = new Uint16Array(m.sourceIndex);
          const sources: InputSource[] = m.sourceAddresses.map((address, i) => ({
            address,
            port: m.sourcePorts[i] ?? 0,
          }));
          let offset = 0;
          for (let i = 0; i < m.count; i++) {
            const length = lengths[i] as number;
            onDatagram(
              Buffer.from(m.bytes, offset, length),
              times[i] as number,
              sources[sourceIndex[i] as number],
            );
            offset += length;
          }
          Atomics.add(processed, 0, m.count);
          return;
        }
        case "bound":
          worker.off("error", reject);
          worker.on("error", onError);
          resolve(m);
          return;
        case "error":
          if (m.bound) onError(new Error(m.message));
          else reject(new Error(m.message));
          return;
        case "closed":
          onClosed();
          return;
      }
    });
  });
  let info: { port: number; receiveBufferBytes: number };
  try {
    info = await bound;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    port: info.port,
    receiveBufferBytes: info.receiveBufferBytes,
    close: () => {
      closing ??= (async () => {
        worker.postMessage({ type: "close" } satisfies ToWorker);
        // Every batch posted before "closed" has been processed when it arrives.
        await Promise.race([closedMessage, exited]);
        await worker.terminate();
        await exited;
      })();
      return closing;
    },
  };
}
