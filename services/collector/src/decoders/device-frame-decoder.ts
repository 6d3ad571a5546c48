import { toBinary } from "@bufbuild/protobuf";
import { type Reading as ProtoReading, Quality, ReadingSchema, TelemetrySchema } from "@langtian/proto";
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
      // Literals rather than create(): this runs once per datagram and create() walks the schema.
      const payload = toBinary(TelemetrySchema, {
        $typeName: TelemetrySchema.typeName,
        deviceId: frame.deviceId,
        sequence: frame.sequence,
        readings: frame.readings.map(toProtoReading),
      });
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

function toProtoReading(r: Reading): ProtoReading {
  return {
    $typeName: ReadingSchema.typeName,
    metric: r.name,
    value: toProtoValue(r),
    unit: "",
    quality: Quality.UNSPECIFIED,
  };
}

function toProtoValue(r: Reading): ProtoReading["value"] {
  switch (r.type) {
    case "float64":
      return { case: "doubleValue", value: r.value };
    case "int64":
      return { case: "intValue", value: r.value };
    case "bool":
      return { case: "boolValue", value: r.value };
    case "string":
      return { case: "stringValue", value: r.value };
  }
}
