import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createDeviceMessageEncoder,
  createRandom,
  type DeviceFormat,
  makeGarbage,
} from "./device-messages.ts";

/** What to send, where and how fast. */
export interface SimulatorOptions {
  readonly host: string;
  readonly port: number;
  readonly format: DeviceFormat;
  /** Datagrams to send in total, garbage included. */
  readonly count: number;
  /** Datagrams per second; 0 sends as fast as the socket takes them. */
  readonly ratePerSec?: number;
  /** Number of simulated devices; messages rotate over them. */
  readonly devices?: number;
  readonly deviceIdPrefix?: string;
  /** First sequence number per device (a restarted simulator continues where it stopped). */
  readonly startSequence?: number;
  /** Share (0..1) of datagrams replaced by garbage. */
  readonly garbageShare?: number;
  /** Share (0..1) of good datagrams sent twice, as a device retransmit. */
  readonly retransmitShare?: number;
  readonly seed?: number;
  readonly signal?: AbortSignal;
}

/** What the simulator sent, to compare with what the collector counted. */
export interface SimulatorReport {
  readonly format: DeviceFormat;
  readonly sent: number;
  readonly good: number;
  readonly garbage: number;
  readonly retransmits: number;
  readonly bytes: number;
  readonly durationMs: number;
  /** Distinct good messages: each should become exactly one stream message. */
  readonly distinctGood: number;
}

/** Sends queued in the socket at most before the simulator waits for them. */
const MAX_QUEUED_SENDS = 64;

/**
 * Sends simulated device datagrams over UDP and reports what it sent.
 *
 * The socket is connected to the target, so each send skips address handling, and sends
 * complete through one shared callback rather than a promise each: the simulator shares the
 * benchmark's cores with the collector and nats-server, so its cost per datagram counts.
 */
export async function runSimulator(opts: SimulatorOptions): Promise<SimulatorReport> {
  const socket = createSocket(isIPv6(opts.host) ? "udp6" : "udp4");
  const random = createRandom(opts.seed ?? 1);
  const encode = createDeviceMessageEncoder(opts.format);
  const devices = Math.max(1, opts.devices ?? 10);
  const prefix = opts.deviceIdPrefix ?? "sim-";
  const deviceIds = Array.from({ length: devices }, (_, i) => `${prefix}${i}`);
  const start = opts.startSequence ?? 1;
  const garbageShare = opts.garbageShare ?? 0;
  const retransmitShare = opts.retransmitShare ?? 0;
  const rate = opts.ratePerSec ?? 0;
  const counters = { sent: 0, good: 0, garbage: 0, retransmits: 0, bytes: 0, distinctGood: 0 };
  let queued = 0;
  let failure: Error | undefined;
  let drained: (() => void) | undefined;
  /**
   * A connected UDP socket reports an earlier datagram's ICMP "port unreachable" (nobody
   * listens: the collector is restarting) on a later send or as an `error` event of the
   * socket; an unconnected one (what a device uses) never sees it. Devices keep sending.
   */
  const note = (err: Error) => {
    if ((err as NodeJS.ErrnoException).code !== "ECONNREFUSED") failure ??= err;
  };
  const onSent = (err: Error | null) => {
    queued--;
    if (err) note(err);
    if (queued === 0) drained?.();
  };
  const settle = async () => {
    if (queued > 0) await new Promise<void>((resolve) => (drained = resolve));
    drained = undefined;
    if (failure) throw failure;
  };
  const begin = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(opts.port, opts.host, () => {
        socket.off("error", reject);
        // Without a listener an `error` event (ECONNREFUSED on receive) would end the process.
        socket.on("error", note);
        resolve();
      });
    });
    const send = (bytes: Uint8Array) => {
      queued++;
      socket.send(bytes, onSent);
      counters.sent++;
      counters.bytes += bytes.length;
    };
    for (let i = 0; counters.sent < opts.count; i++) {
      if (opts.signal?.aborted) break;
      const valid = encode({
        deviceId: deviceIds[i % devices] as string,
        sequence: start + Math.floor(i / devices),
        timestampMs: Date.now(),
        temperature: 20 + random() * 10,
      });
      if (random() < garbageShare) {
        send(makeGarbage(valid, random));
        counters.garbage++;
      } else {
        counters.distinctGood++;
        const twice = counters.sent + 1 < opts.count && random() < retransmitShare;
        send(valid);
        counters.good++;
        if (twice) {
          send(valid);
          counters.good++;
          counters.retransmits++;
        }
      }
      // Bound the sends queued in the socket, and pace to the requested rate.
      if (queued >= MAX_QUEUED_SENDS) await settle();
      if (rate > 0) {
        const dueMs = (counters.sent / rate) * 1000 - (performance.now() - begin);
        if (dueMs > 1) {
          await settle();
          await sleep(dueMs);
        }
      }
    }
    await settle();
  } finally {
    socket.close();
  }
  return { format: opts.format, ...counters, durationMs: Math.round(performance.now() - begin) };
}
