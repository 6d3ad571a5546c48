import { create } from "@bufbuild/protobuf";
import { Quality, type Telemetry, TelemetrySchema } from "@langtian/proto";

/**
 * A realistic telemetry payload with every kind of reading value, shared by the tests of
 * this package and the cross-language round trip (one fixture, not several drifting copies).
 */
export function sampleTelemetry(): Telemetry {
  return create(TelemetrySchema, {
    deviceId: "press-7",
    sequence: 42n,
    readings: [
      {
        metric: "temperature",
        value: { case: "doubleValue", value: 71.25 },
        unit: "Cel",
        quality: Quality.GOOD,
      },
      {
        metric: "strokes",
        value: { case: "intValue", value: 123_456_789_012n },
        unit: "1",
        quality: Quality.GOOD,
      },
      { metric: "door_open", value: { case: "boolValue", value: false }, quality: Quality.UNCERTAIN },
      { metric: "mode", value: { case: "stringValue", value: "automatic" }, quality: Quality.BAD },
    ],
  });
}
