import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createRandom, type DeviceFormat, encodeDeviceMessage, makeGarbage } from "./device-messages.ts";

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

/** Sends simulated device datagrams over UDP and reports what it sent. */
export async function runSimulator(opts: SimulatorOptions): Promise<SimulatorReport> {
  const socket = createSocket(isIPv6(opts.host) ? "udp6" : "udp4");
  const random = createRandom(opts.seed ?? 1);
  const devices = Math.max(1, opts.devices ?? 10);
  const prefix = opts.deviceIdPrefix ?? "sim-";
  const start = opts.startSequence ?? 1;
  const garbageShare = opts.garbageShare ?? 0;
  const retransmitShare = opts.retransmitShare ?? 0;
  const rate = opts.ratePerSec ?? 0;
  const counters = { sent: 0, good: 0, garbage: 0, retransmits: 0, bytes: 0, distinctGood: 0 };
  const begin = performance.now();
  const send = (bytes: Uint8Array): Promise<void> =>
    new Promise((resolve, reject) =>
      socket.send(bytes, opts.port, opts.host, (err) => {
        if (err) reject(err);
        else resolve();
      }),
    );
  try {
    let pending: Promise<void>[] = [];
    for (let i = 0; counters.sent < opts.count; i++) {
      if (opts.signal?.aborted) break;
      const message = {
        deviceId: `${prefix}${i % devices}`,
        sequence: start + Math.floor(i / devices),
        timestampMs: Date.now(),
        temperature: 20 + random() * 10,
      };
      const valid = encodeDeviceMessage(opts.format, message);
      let datagrams: Uint8Array[];
      if (random() < garbageShare) {
        datagrams = [makeGarbage(valid, random)];
        counters.garbage++;
      } else {
        counters.distinctGood++;
        datagrams = counters.sent + 1 < opts.count && random() < retransmitShare ? [valid, valid] : [valid];
        counters.good += datagrams.length;
        counters.retransmits += datagrams.length - 1;
      }
      for (const d of datagrams) {
        pending.push(send(d));
        counters.sent++;
        counters.bytes += d.length;
      }
      // Bound the sends queued in the socket, and pace to the requested rate.
      if (pending.length >= 64) {
        await Promise.all(pending);
        pending = [];
      }
      if (rate > 0) {
        const dueMs = (counters.sent / rate) * 1000 - (performance.now() - begin);
        if (dueMs > 1) {
          await Promise.all(pending);
          pending = [];
          await sleep(dueMs);
        }
      }
    }
    await Promise.all(pending);
  } finally {
    socket.close();
  }
  return { format: opts.format, ...counters, durationMs: Math.round(performance.now() - begin) };
}
