/**
 * Worker-thread side of a threaded UDP listener (see `udp-receive-thread.ts`): binds the
 * socket and only drains it, handing datagrams to the main thread in batches, so the main
 * thread's pauses (GC, PubAck bursts, other processes taking the CPU) no longer leave the
 * kernel buffer unread.
 */
import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import type { FromWorker, ToWorker, WorkerSetup } from "./udp-receive-protocol.ts";

const setup = workerData as WorkerSetup;
const port = parentPort;
if (port === null) throw new Error("udp-receive-worker must run as a worker thread");
const post = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);

// Datagrams handed over and not yet processed by the main thread (it adds to slot 0).
const processed = new Int32Array(setup.processed);
let handedOver = 0;

// The batch being filled: lengths, receive times and bytes in separate growable parts.
let lengths = new Uint32Array(setup.batchDatagrams);
let times = new Float64Array(setup.batchDatagrams);
let bytes = new Uint8Array(setup.batchBytes);
// Senders: an index per datagram into the batch's distinct senders (devices send from a few).
let sourceIndex = new Uint16Array(setup.batchDatagrams);
let sourceAddresses: string[] = [];
let sourcePorts: number[] = [];
let sourceIds = new Map<string, number>();
let lastAddress = "";
let lastPort = -1;
let lastId = -1;
let count = 0;
let used = 0;
let dropped = 0;
let droppedBytes = 0;
let timer: NodeJS.Timeout | undefined;

function flush(): void {
  if (timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
  if (count === 0 && dropped === 0) return;
  const m: FromWorker = {
    type: "batch",
    count,
    lengths: lengths.buffer,
    times: times.buffer,
    bytes: bytes.buffer,
    sourceIndex: sourceIndex.buffer,
    sourceAddresses,
    sourcePorts,
    dropped,
    droppedBytes,
  };
  handedOver += count;
  post(m, [lengths.buffer, times.buffer, bytes.buffer, sourceIndex.buffer]);
  lengths = new Uint32Array(setup.batchDatagrams);
  times = new Float64Array(setup.batchDatagrams);
  bytes = new Uint8Array(setup.batchBytes);
  sourceIndex = new Uint16Array(setup.batchDatagrams);
  sourceAddresses = [];
  sourcePorts = [];
  sourceIds = new Map();
  lastId = -1;
  count = 0;
  used = 0;
  dropped = 0;
  droppedBytes = 0;
}

const socket = createSocket({
  type: isIPv6(setup.host) ? "udp6" : "udp4",
  // An IPv6 listener takes IPv6 only, so a separate IPv4 listener can share the port.
  ipv6Only: isIPv6(setup.host),
  recvBufferSize: setup.receiveBufferBytes,
});

/** The batch's index of a sender: the last one again in a burst, else a lookup. */
function sourceOf(address: string, port: number): number {
  if (lastId >= 0 && port === lastPort && address === lastAddress) return lastId;
  const key = `${address} ${port}`;
  let id = sourceIds.get(key);
  if (id === undefined) {
    id = sourceAddresses.length;
    sourceAddresses.push(address);
    sourcePorts.push(port);
    sourceIds.set(key, id);
  }
  lastAddress = address;
  lastPort = port;
  lastId = id;
  return id;
}

socket.on("message", (msg, rinfo) => {
  // Bounded hand-over: past the limit the datagram is counted as dropped, never queued.
  if (handedOver + count - Atomics.load(processed, 0) >= setup.maxQueued) {
    dropped++;
    droppedBytes += msg.length;
    // Reported with the next hand-over, which must come even if no datagram is accepted.
    timer ??= setTimeout(flush, setup.batchDelayMs);
    return;
  }
  if (used + msg.length > bytes.length) {
    flush();
    if (msg.length > bytes.length) bytes = new Uint8Array(msg.length);
  }
  bytes.set(msg, used);
  lengths[count] = msg.length;
  times[count] = Date.now();
  sourceIndex[count] = sourceOf(rinfo.address, rinfo.port);
  used += msg.length;
  count++;
  if (count === setup.batchDatagrams) flush();
  else timer ??= setTimeout(flush, setup.batchDelayMs);
});

socket.once("error", (err) => post({ type: "error", message: err.message, bound: false }));
socket.bind(setup.port, setup.host, () => {
  socket.removeAllListeners("error");
  socket.on("error", (err) => post({ type: "error", message: err.message, bound: true }));
  post({ type: "bound", port: socket.address().port, receiveBufferBytes: socket.getRecvBufferSize() });
});

port.on("message", (m: ToWorker) => {
  if (m.type !== "close") return;
  // Stop the socket first, then hand over what was read, then say so (messages stay in order).
  socket.close(() => {
    flush();
    post({ type: "closed" });
    port.close();
  });
});
