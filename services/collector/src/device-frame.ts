import { crc32 } from "node:zlib";
import { ErrorCode, LangtianError } from "@langtian/errors";

/**
 * The compact binary frame sent by small devices (documented in the service README).
 *
 * Layout, all integers big-endian:
 * ```
 * offset  size  field
 * 0       2     magic "LT" (0x4C 0x54)
 * 2       1     version (1)
 * 3       1     flags (reserved, 0)
 * 4       1     device id length N (1..64)
 * 5       N     device id, UTF-8
 * 5+N     8     sequence number (unsigned 64-bit)
 * 13+N    8     event timestamp, milliseconds since the Unix epoch (signed 64-bit; 0 = unknown)
 * 21+N    1     reading count R
 * ...           R readings: type (1 byte), name length (1 byte), name (UTF-8), value
 *                 type 1 float64 (8 bytes), 2 int64 (8 bytes), 3 bool (1 byte),
 *                 4 string (2-byte length + UTF-8)
 * end-4   4     CRC32 (IEEE) of every preceding byte
 * ```
 */
export const DEVICE_FRAME_MAGIC = 0x4c54;
/** The only frame version this collector reads and writes. */
export const DEVICE_FRAME_VERSION = 1;
/** Longest device id a frame may carry, in bytes. */
export const MAX_DEVICE_ID_BYTES = 64;

/** Reading value type tags, as written on the wire. */
export const ReadingType = {
  Float64: 1,
  Int64: 2,
  Bool: 3,
  String: 4,
} as const;

/** One typed measurement carried by a frame. */
export type Reading =
  | { readonly name: string; readonly type: "float64"; readonly value: number }
  | { readonly name: string; readonly type: "int64"; readonly value: bigint }
  | { readonly name: string; readonly type: "bool"; readonly value: boolean }
  | { readonly name: string; readonly type: "string"; readonly value: string };

/** A decoded device frame. */
export interface DeviceFrame {
  readonly deviceId: string;
  readonly sequence: bigint;
  /** Milliseconds since the epoch, or 0 when the device does not know the time. */
  readonly timestampMs: number;
  readonly readings: readonly Reading[];
}

/** Why a frame could not be decoded; each value is a metric label. */
export const FrameErrorReason = {
  Truncated: "truncated",
  BadMagic: "bad_magic",
  UnsupportedVersion: "unsupported_version",
  BadCrc: "bad_crc",
  BadDeviceId: "bad_device_id",
  UnknownReadingType: "unknown_reading_type",
  BadReading: "bad_reading",
  TrailingBytes: "trailing_bytes",
} as const;
/** A {@link FrameErrorReason} value. */
export type FrameErrorReason = (typeof FrameErrorReason)[keyof typeof FrameErrorReason];

/** Raised by {@link decodeDeviceFrame} with a machine-readable reason. */
export class DeviceFrameError extends LangtianError {
  override readonly code = ErrorCode.invalidArgument;
  override readonly name = "DeviceFrameError";
  readonly reason: FrameErrorReason;
  constructor(reason: FrameErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

const utf8 = new TextEncoder();
// fatal: a device that sends invalid UTF-8 sends a bad frame, not a mangled name.
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** Encodes a frame (used by the device simulator and tests). */
export function encodeDeviceFrame(frame: DeviceFrame): Uint8Array {
  const id = utf8.encode(frame.deviceId);
  if (id.length === 0 || id.length > MAX_DEVICE_ID_BYTES) {
    throw new RangeError(`device id must be 1..${MAX_DEVICE_ID_BYTES} bytes, got ${id.length}`);
  }
  if (frame.readings.length > 255) throw new RangeError("at most 255 readings per frame");
  const parts: Uint8Array[] = [];
  const head = Buffer.alloc(5 + id.length + 17);
  head.writeUInt16BE(DEVICE_FRAME_MAGIC, 0);
  head.writeUInt8(DEVICE_FRAME_VERSION, 2);
  head.writeUInt8(0, 3);
  head.writeUInt8(id.length, 4);
  head.set(id, 5);
  const o = 5 + id.length;
  head.writeBigUInt64BE(frame.sequence, o);
  head.writeBigInt64BE(BigInt(Math.trunc(frame.timestampMs)), o + 8);
  head.writeUInt8(frame.readings.length, o + 16);
  parts.push(head);
  for (const r of frame.readings) parts.push(encodeReading(r));
  const body = Buffer.concat(parts);
  const out = Buffer.alloc(body.length + 4);
  out.set(body, 0);
  out.writeUInt32BE(crc32(body), body.length);
  // A plain Uint8Array: Buffer's slice() is a view, which surprises callers that copy with it.
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

function encodeReading(r: Reading): Uint8Array {
  const name = utf8.encode(r.name);
  if (name.length > 255) throw new RangeError(`reading name too long: ${r.name}`);
  let value: Buffer;
  let tag: number;
  switch (r.type) {
    case "float64":
      tag = ReadingType.Float64;
      value = Buffer.alloc(8);
      value.writeDoubleBE(r.value);
      break;
    case "int64":
      tag = ReadingType.Int64;
      value = Buffer.alloc(8);
      value.writeBigInt64BE(r.value);
      break;
    case "bool":
      tag = ReadingType.Bool;
      value = Buffer.of(r.value ? 1 : 0);
      break;
    case "string": {
      tag = ReadingType.String;
      const s = utf8.encode(r.value);
      if (s.length > 0xffff) throw new RangeError("string reading too long");
      value = Buffer.alloc(2 + s.length);
      value.writeUInt16BE(s.length, 0);
      value.set(s, 2);
      break;
    }
  }
  const out = Buffer.alloc(2 + name.length + value.length);
  out.writeUInt8(tag, 0);
  out.writeUInt8(name.length, 1);
  out.set(name, 2);
  out.set(value, 2 + name.length);
  return out;
}

/**
 * Decodes and verifies one frame. Throws {@link DeviceFrameError} for anything malformed;
 * never reads past the buffer.
 */
export function decodeDeviceFrame(bytes: Uint8Array): DeviceFrame {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Smallest frame: header with a 1-byte id, no readings, CRC.
  if (buf.length < 5 + 1 + 17 + 4) throw truncated(buf.length);
  if (buf.readUInt16BE(0) !== DEVICE_FRAME_MAGIC) {
    throw new DeviceFrameError(FrameErrorReason.BadMagic, "frame does not start with magic 'LT'");
  }
  const version = buf.readUInt8(2);
  if (version !== DEVICE_FRAME_VERSION) {
    throw new DeviceFrameError(FrameErrorReason.UnsupportedVersion, `unsupported frame version ${version}`);
  }
  const body = buf.subarray(0, buf.length - 4);
  // The CRC is checked before the fields are parsed so a corrupt length is reported as corruption.
  if (crc32(body) !== buf.readUInt32BE(buf.length - 4)) {
    throw new DeviceFrameError(FrameErrorReason.BadCrc, "frame CRC32 does not match its content");
  }
  const idLength = body.readUInt8(4);
  if (idLength === 0 || idLength > MAX_DEVICE_ID_BYTES) {
    throw new DeviceFrameError(FrameErrorReason.BadDeviceId, `device id length ${idLength} out of range`);
  }
  let o = 5;
  need(body, o, idLength + 17);
  const deviceId = text(body, o, o + idLength, FrameErrorReason.BadDeviceId);
  o += idLength;
  const sequence = body.readBigUInt64BE(o);
  const timestampMs = Number(body.readBigInt64BE(o + 8));
  const count = body.readUInt8(o + 16);
  o += 17;
  const readings: Reading[] = [];
  for (let i = 0; i < count; i++) {
    need(body, o, 2);
    const tag = body.readUInt8(o);
    const nameLength = body.readUInt8(o + 1);
    o += 2;
    need(body, o, nameLength);
    const name = text(body, o, o + nameLength, FrameErrorReason.BadReading);
    o += nameLength;
    switch (tag) {
      case ReadingType.Float64:
        need(body, o, 8);
        readings.push({ name, type: "float64", value: body.readDoubleBE(o) });
        o += 8;
        break;
      case ReadingType.Int64:
        need(body, o, 8);
        readings.push({ name, type: "int64", value: body.readBigInt64BE(o) });
        o += 8;
        break;
      case ReadingType.Bool:
        need(body, o, 1);
        readings.push({ name, type: "bool", value: body.readUInt8(o) !== 0 });
        o += 1;
        break;
      case ReadingType.String: {
        need(body, o, 2);
        const length = body.readUInt16BE(o);
        o += 2;
        need(body, o, length);
        readings.push({
          name,
          type: "string",
          value: text(body, o, o + length, FrameErrorReason.BadReading),
        });
        o += length;
        break;
      }
      default:
        throw new DeviceFrameError(FrameErrorReason.UnknownReadingType, `unknown reading type ${tag}`);
    }
  }
  if (o !== body.length) {
    throw new DeviceFrameError(
      FrameErrorReason.TrailingBytes,
      `${body.length - o} bytes after the last reading`,
    );
  }
  return { deviceId, sequence, timestampMs, readings };
}

function need(buf: Buffer, offset: number, length: number): void {
  if (offset + length > buf.length) throw truncated(buf.length);
}

function truncated(length: number): DeviceFrameError {
  return new DeviceFrameError(FrameErrorReason.Truncated, `frame truncated (${length} bytes)`);
}

function text(buf: Buffer, start: number, end: number, reason: FrameErrorReason): string {
  // ASCII (device ids, reading names) needs no UTF-8 validation: the common case, per datagram.
  let ascii = true;
  for (let i = start; i < end && ascii; i++) ascii = (buf[i] as number) < 0x80;
  if (ascii) return buf.toString("latin1", start, end);
  try {
    return utf8Strict.decode(buf.subarray(start, end));
  } catch (cause) {
    throw new DeviceFrameError(reason, `invalid UTF-8: ${String(cause)}`);
  }
}

/** JSON form of a reading's value (int64 as a decimal string so no precision is lost). */
export function readingsToJson(readings: readonly Reading[]): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const r of readings) out[r.name] = r.type === "int64" ? r.value.toString() : r.value;
  return out;
}
