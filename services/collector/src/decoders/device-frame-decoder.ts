import { WireType, WireWriter } from "@langtian/envelope";
import { TelemetrySchema } from "@langtian/proto";
import { DeviceFrameError, decodeDeviceFrame, type Reading } from "../device-frame.ts";
import { type DecodedEvent, DecodeError, type Decoder } from "./decoder.ts";

/**
 * The compact binary device frame (see `device-frame.ts`), re-encoded as a
 * `langtian.device.v1.Telemetry` protobuf payload.
 */
export function createDeviceFrameDecoder(): Decoder {
  return {
    name: "device-frame",
    decode(datagram: Uint8Array): DecodedEvent {
      let frame: ReturnType<typeof decodeDeviceFrame>;
      try {
        frame = decodeDeviceFrame(datagram);
      } catch (cause) {
        if (cause instanceof DeviceFrameError) throw new DecodeError(cause.reason, cause.message, { cause });
        throw cause;
      }
      const payload = encodeTelemetry(frame.deviceId, frame.sequence, frame.readings);
      return {
        payload,
        payloadType: TelemetrySchema.typeName,
        deviceId: frame.deviceId,
        sequence: frame.sequence.toString(),
        ...(frame.timestampMs > 0 && { eventTimeMs: frame.timestampMs }),
      };
    },
  };
}

const writer = new WireWriter();
const LEN = WireType.LengthDelimited;

/**
 * The `langtian.device.v1.Telemetry` bytes protobuf-es' `toBinary` writes for these
 * readings (unit empty, quality unspecified, no sample time), written directly: this runs
 * once per datagram. A test compares the bytes with `toBinary` for every reading type.
 */
export function encodeTelemetry(
  deviceId: string,
  sequence: bigint,
  readings: readonly Reading[],
): Uint8Array {
  const w = writer.reset();
  if (deviceId !== "") w.tag(1, LEN).string(deviceId);
  if (sequence !== 0n) w.tag(2, WireType.Varint).int64(sequence);
  for (const r of readings) {
    w.tag(3, LEN);
    const start = w.beginNested();
    if (r.name !== "") w.tag(1, LEN).string(r.name);
    // A oneof member is written even when it holds its zero value.
    switch (r.type) {
      case "float64":
        w.tag(2, WireType.Bit64).double(r.value);
        break;
      case "int64":
        w.tag(3, WireType.Varint).int64(r.value);
        break;
      case "bool":
        w.tag(4, WireType.Varint).uint(r.value ? 1 : 0);
        break;
      case "string":
        w.tag(5, LEN).string(r.value);
        break;
    }
    w.endNested(start);
  }
  return w.finish();
}
