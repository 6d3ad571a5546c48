/** Messages between a threaded UDP listener and its worker (`udp-receive-worker.ts`). */

/** What the worker is started with. */
export interface WorkerSetup {
  readonly host: string;
  readonly port: number;
  readonly receiveBufferBytes: number;
  /** Datagrams per batch before it is handed over. */
  readonly batchDatagrams: number;
  /** Initial batch byte capacity; a full batch is handed over early. */
  readonly batchBytes: number;
  /** Longest a datagram waits in the worker before its batch is handed over, in ms. */
  readonly batchDelayMs: number;
  /** Datagrams handed over and not yet processed before new ones are dropped. */
  readonly maxQueued: number;
  /** Int32Array(1) shared: datagrams the main thread has processed. */
  readonly processed: SharedArrayBuffer;
}

/** Main thread → worker. */
export type ToWorker = { readonly type: "close" };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: "bound"; readonly port: number; readonly receiveBufferBytes: number }
  | { readonly type: "error"; readonly message: string; readonly bound: boolean }
  | {
      readonly type: "batch";
      readonly count: number;
      /** Uint32 length per datagram. */
      readonly lengths: ArrayBuffer;
      /** Float64 receive time (ms since epoch) per datagram. */
      readonly times: ArrayBuffer;
      /** The datagrams back to back. */
      readonly bytes: ArrayBuffer;
      /** Uint16 index per datagram into `sourceAddresses`/`sourcePorts` (its sender). */
      readonly sourceIndex: ArrayBuffer;
      /** The distinct senders of this batch. */
      readonly sourceAddresses: readonly string[];
      readonly sourcePorts: readonly number[];
      /** Datagrams dropped since the last batch because the hand-over queue was full. */
      readonly dropped: number;
      readonly droppedBytes: number;
    }
  | { readonly type: "closed" };
