import { crc32 } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { EnvelopeSchema } from "@langtian/proto";
import { encodeDeviceFrame } from "../device-frame.ts";

/** The datagram formats the simulator speaks (the collector's built-in decoders). */
export const DEVICE_FORMATS = ["json", "envelope", "device-frame", "raw"] as const;
/** One of {@link DEVICE_FORMATS}. */
export type DeviceFormat = (typeof DEVICE_FORMATS)[number];

/** One simulated device message before encoding. */
export interface DeviceMessage {
  readonly deviceId: string;
  readonly sequence: number;
  readonly timestampMs: number;
  readonly temperature: number;
}

const utf8 = new TextEncoder();

/** Encodes a device message in the given format, as a device would put it on the wire. */
export function encodeDeviceMessage(format: DeviceFormat, m: DeviceMessage): Uint8Array {
  switch (format) {
    case "json":
      return utf8.encode(
        JSON.stringify({
          device_id: m.deviceId,
          seq: m.sequence,
          ts: m.timestampMs,
          temperature: m.temperature,
        }),
      );
    case "envelope":
      return toBinary(
        EnvelopeSchema,
        create(EnvelopeSchema, {
          eventType: "device.status",
          eventTimestamp: timestampFromMs(m.timestampMs),
          schemaVersion: "1.0",
          partitionKey: m.deviceId,
          payload: utf8.encode(JSON.stringify({ seq: m.sequence, temperature: m.temperature })),
          payloadType: "application/json",
          attributes: { seq: String(m.sequence) },
        }),
      );
    case "device-frame":
      return encodeDeviceFrame({
        deviceId: m.deviceId,
        sequence: BigInt(m.sequence),
        timestampMs: m.timestampMs,
        readings: [
          { name: "temperature", type: "float64", value: m.temperature },
          { name: "counter", type: "int64", value: BigInt(m.sequence) },
          { name: "running", type: "bool", value: true },
        ],
      });
    case "raw":
      return utf8.encode(`${m.deviceId};${m.sequence};${m.timestampMs};${m.temperature.toFixed(3)}`);
  }
}

/**
 * An encoder for many messages of one format, byte for byte what {@link encodeDeviceMessage}
 * returns. For device frames it copies a per-device template and patches sequence, timestamp,
 * readings and CRC instead of building the frame from parts: the simulator shares the
 * benchmark's cores with the collector, so its cost per datagram counts.
 */
export function createDeviceMessageEncoder(format: DeviceFormat): (m: DeviceMessage) => Uint8Array {
  if (format !== "device-frame") return (m) => encodeDeviceMessage(format, m);
  const templates = new Map<string, Buffer>();
  return (m) => {
    if (!(m.sequence >= 0 && m.timestampMs >= 0)) return encodeDeviceMessage(format, m);
    let template = templates.get(m.deviceId);
    if (template === undefined) {
      const bytes = encodeDeviceMessage(format, { ...m, sequence: 0, timestampMs: 0, temperature: 0 });
      template = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      templates.set(m.deviceId, template);
    }
    // Offsets follow the frame layout of `device-frame.ts` for the three readings above.
    const out = Buffer.allocUnsafe(template.length);
    template.copy(out);
    const seq = 5 + (template[4] as number);
    writeUint64(out, seq, m.sequence);
    writeUint64(out, seq + 8, Math.trunc(m.timestampMs));
    const temperature = seq + 17 + 2 + "temperature".length;
    out.writeDoubleBE(m.temperature, temperature);
    writeUint64(out, temperature + 8 + 2 + "counter".length, m.sequence);
    const body = out.length - 4;
    out.writeUInt32BE(crc32(out.subarray(0, body)), body);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  };
}

// A non-negative safe integer as 64-bit big-endian, without a BigInt per call.
function writeUint64(out: Buffer, offset: number, value: number): void {
  out.writeUInt32BE(Math.floor(value / 0x1_0000_0000), offset);
  out.writeUInt32BE(value >>> 0, offset + 4);
}

/** A tiny seeded PRNG (mulberry32) so garbage is reproducible from a seed. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A malformed datagram derived from a valid one: truncated, a flipped byte (bad CRC for
 * frames, broken JSON), random bytes or an empty datagram.
 */
export function makeGarbage(valid: Uint8Array, random: () => number): Uint8Array {
  const kind = Math.floor(random() * 4);
  if (kind === 0) return valid.slice(0, Math.floor(random() * Math.max(1, valid.length - 1)));
  if (kind === 1) {
    const copy = valid.slice();
    const i = Math.floor(random() * copy.length);
    copy[i] = (copy[i] as number) ^ (1 + Math.floor(random() * 255));
    return copy;
  }
  if (kind === 2) {
    const bytes = new Uint8Array(1 + Math.floor(random() * 200));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    return bytes;
  }
  return new Uint8Array(0);
}
