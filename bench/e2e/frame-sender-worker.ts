// The load generator of the whole-pipeline benchmark, on a worker thread so the main thread's
// polling of the query API cannot hold up its pacing (started by frame-sender.ts): device frames
// over UDP at a fixed rate, each stamped with the time it is sent (the frame's `timestampMs`,
// which becomes the row's `event_timestamp`). It reports how many frames it sent in each 10 ms
// bucket of send time and their summed send times, so the main thread knows how many rows each
// bucket must reach in the lake and their mean send time.
import { createSocket } from "node:dgram";
import { parentPort, workerData } from "node:worker_threads";
import { encodeDeviceMessage } from "@langtian/collector";
import {
  BUCKET_MS,
  type FrameSenderMessage,
  type FrameSenderRun,
  type FrameSenderSetup,
} from "./frame-sender.ts";

const port = parentPort;
if (port === null) throw new Error("frame-sender-worker runs as a worker thread");
const setup = workerData as FrameSenderSetup;
const socket = createSocket("udp4");
await new Promise<void>((resolve) => socket.connect(setup.udpPort, "127.0.0.1", resolve));
// A connected socket reports an earlier datagram's ICMP "port unreachable" on a later send.
socket.on("error", () => undefined);

let pending = new Map<number, [number, number]>();
const flush = () => {
  if (pending.size === 0) return;
  const entries: [number, number, number][] = [];
  for (const [bucket, [count, sumMs]] of pending) entries.push([bucket, count, sumMs]);
  pending = new Map();
  port.postMessage({ kind: "buckets", entries } satisfies FrameSenderMessage);
};

async function run({ rate, seconds, firstIndex }: FrameSenderRun): Promise<void> {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const reporter = setInterval(flush, 50);
  let sent = 0;
  while (sent < total) {
    const elapsedMs = performance.now() - started;
    // Credit pacing: send what is due now, then sleep about a millisecond.
    const due = Math.min(total, Math.floor((elapsedMs * rate) / 1000) + 1);
    if (due > sent) {
      const nowMs = Date.now();
      const count = due - sent;
      for (; sent < due; sent++) {
        const index = firstIndex + sent;
        const device = index % setup.devices;
        socket.send(
          encodeDeviceMessage("device-frame", {
            deviceId: `${setup.devicePrefix}-${device}`,
            sequence: Math.floor(index / setup.devices) + 1,
            timestampMs: nowMs,
            temperature: 20 + (index % 100) / 10,
          }),
        );
      }
      const bucket = Math.floor(nowMs / BUCKET_MS);
      const entry = pending.get(bucket) ?? [0, 0];
      entry[0] += count;
      entry[1] += count * nowMs;
      pending.set(bucket, entry);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  clearInterval(reporter);
  flush();
  port?.postMessage({
    kind: "done",
    sent,
    durationMs: performance.now() - started,
  } satisfies FrameSenderMessage);
}

port.on("message", (message: FrameSenderRun | "close") => {
  if (message === "close") {
    socket.close();
    port.close();
    return;
  }
  void run(message);
});
