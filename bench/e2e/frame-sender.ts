import { Worker } from "node:worker_threads";

/** Width of a send-time bucket, in ms. */
export const BUCKET_MS = 10;

/** What the sender worker is started with. */
export interface FrameSenderSetup {
  readonly udpPort: number;
  readonly devices: number;
  /** Device ids are `<devicePrefix>-<n>`. */
  readonly devicePrefix: string;
}

/** One run: `rate` frames per second for `seconds`, events numbered from `firstIndex`. */
export interface FrameSenderRun {
  readonly rate: number;
  readonly seconds: number;
  readonly firstIndex: number;
}

/** Messages the worker posts. */
export type FrameSenderMessage =
  /** Frames sent since the last report: [bucket (send ms / BUCKET_MS), count, sum of send ms]. */
  | { readonly kind: "buckets"; readonly entries: [number, number, number][] }
  | { readonly kind: "done"; readonly sent: number; readonly durationMs: number };

/** The load generator: device frames over UDP from a worker thread. */
export interface FrameSender {
  /** Sends `rate` frames/s for `seconds`; resolves when the last one is sent. */
  run(rate: number, seconds: number): Promise<{ sent: number; durationMs: number }>;
  /** Frames sent so far (the next frame's index). */
  sent(): number;
  /** CPU the worker thread used so far is part of this process's CPU. */
  close(): Promise<void>;
}

/**
 * Starts the sender worker. `onBuckets` gets what it sent per send-time bucket, every 50 ms
 * while it sends. Event indexes (device = index mod devices, sequence = index div devices + 1)
 * go on across runs, so no event id repeats within a pipeline (the collector derives ids from
 * source, device and sequence, and the lake drops repeats).
 */
export async function startFrameSender(
  setup: FrameSenderSetup,
  onBuckets: (entries: [number, number, number][]) => void,
): Promise<FrameSender> {
  const worker = new Worker(new URL("./frame-sender-worker.ts", import.meta.url), { workerData: setup });
  let next = 0;
  let done: ((result: { sent: number; durationMs: number }) => void) | undefined;
  worker.on("message", (message: FrameSenderMessage) => {
    if (message.kind === "buckets") onBuckets(message.entries);
    else done?.({ sent: message.sent, durationMs: message.durationMs });
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return {
    async run(rate, seconds) {
      const result = new Promise<{ sent: number; durationMs: number }>((resolve, reject) => {
        done = resolve;
        worker.once("error", reject);
      });
      worker.postMessage({ rate, seconds, firstIndex: next } satisfies FrameSenderRun);
      const r = await result;
      next += r.sent;
      return r;
    },
    sent: () => next,
    async close() {
      worker.postMessage("close");
      await worker.terminate();
    },
  };
}
