import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ReadingSchema, TelemetrySchema } from "@langtian/proto";
import { encodeDeviceFrame } from "../device-frame.ts";
import { encodeDeviceMessage } from "../simulator/device-messages.ts";
import { createDefaultDecoders, DecodeError } from "./index.ts";

const decoders = createDefaultDecoders();
const message = { deviceId: "d-1", sequence: 17, timestampMs: 1_790_000_000_000, temperature: 22.25 };
const utf8 = new TextEncoder();

function decode(name: string, bytes: Uint8Array) {
  const decoder = decoders.get(name);
  assert.ok(decoder, name);
  return decoder.decode(bytes);
}

function reason(name: string, bytes: Uint8Array): string {
  try {
    decode(name, bytes);
  } catch (err) {
    assert.ok(err instanceof DecodeError, String(err));
    return err.reason;
  }
  return "ok";
}

describe("built-in decoders", () => {
  it("json lifts device id, sequence and timestamp and keeps the object as payload", () => {
    const bytes = encodeDeviceMessage("json", message);
    const event = decode("json", bytes);
    assert.equal(event.deviceId, "d-1");
    assert.equal(event.sequence, "17");
    assert.equal(event.eventTimeMs, message.timestampMs);
    assert.equal(event.payloadType, "application/json");
    assert.deepEqual(event.payload, bytes);
  });

  it("json names malformed input, non-objects and bad fields", () => {
    assert.equal(reason("json", utf8.encode("{nope")), "malformed_json");
    assert.equal(reason("json", Uint8Array.of(0xff, 0xfe)), "malformed_json");
    assert.equal(reason("json", utf8.encode("[1,2]")), "not_an_object");
    assert.equal(reason("json", utf8.encode('{"seq":-1}')), "invalid_field");
    assert.equal(reason("json", utf8.encode('{"ts":"yesterday"}')), "invalid_field");
  });

  it("device-frame becomes a Telemetry payload with the frame's sequence", () => {
    const event = decode("device-frame", encodeDeviceMessage("device-frame", message));
    assert.equal(event.payloadType, "langtian.device.v1.Telemetry");
    assert.equal(event.sequence, "17");
    const telemetry = fromBinary(TelemetrySchema, event.payload);
    assert.equal(telemetry.deviceId, "d-1");
    assert.equal(telemetry.readings[0]?.metric, "temperature");
    assert.deepEqual(telemetry.readings[0]?.value, { case: "doubleValue", value: 22.25 });
  });

  it("device-frame payload bytes equal protobuf-es' own encoding for every reading type", () => {
    const frame = encodeDeviceFrame({
      deviceId: "d-2",
      sequence: 2n ** 63n,
      timestampMs: 0,
      readings: [
        { name: "t", type: "float64", value: -1.5 },
        { name: "n", type: "int64", value: -(2n ** 40n) },
        { name: "b", type: "bool", value: true },
        { name: "s", type: "string", value: "mode ü" },
        { name: "zero", type: "float64", value: 0 },
        { name: "negative-zero", type: "float64", value: -0 },
        { name: "zi", type: "int64", value: 0n },
        { name: "f", type: "bool", value: false },
        { name: "long", type: "string", value: "x".repeat(300) },
      ],
    });
    const expected = toBinary(
      TelemetrySchema,
      create(TelemetrySchema, {
        deviceId: "d-2",
        sequence: 2n ** 63n,
        readings: [
          create(ReadingSchema, { metric: "t", value: { case: "doubleValue", value: -1.5 } }),
          create(ReadingSchema, { metric: "n", value: { case: "intValue", value: -(2n ** 40n) } }),
          create(ReadingSchema, { metric: "b", value: { case: "boolValue", value: true } }),
          create(ReadingSchema, { metric: "s", value: { case: "stringValue", value: "mode ü" } }),
          create(ReadingSchema, { metric: "zero", value: { case: "doubleValue", value: 0 } }),
          create(ReadingSchema, { metric: "negative-zero", value: { case: "doubleValue", value: -0 } }),
          create(ReadingSchema, { metric: "zi", value: { case: "intValue", value: 0n } }),
          create(ReadingSchema, { metric: "f", value: { case: "boolValue", value: false } }),
          create(ReadingSchema, { metric: "long", value: { case: "stringValue", value: "x".repeat(300) } }),
        ],
      }),
    );
    assert.deepEqual(decode("device-frame", frame).payload, expected);
  });

  it("envelope keeps the device's fields", () => {
    const event = decode("envelope", encodeDeviceMessage("envelope", message));
    assert.equal(event.eventType, "device.status");
    assert.equal(event.deviceId, "d-1");
    assert.equal(event.eventTimeMs, message.timestampMs);
    assert.equal(reason("envelope", Uint8Array.of(0xff, 0xff, 0xff)), "malformed_protobuf");
  });

  it("raw accepts any bytes", () => {
    assert.equal(decode("raw", Uint8Array.of(1, 2, 3)).payloadType, "application/octet-stream");
  });

  it("refuses a second decoder with a taken name", () => {
    assert.throws(() =>
      decoders.register({ name: "json", decode: () => ({ payload: new Uint8Array(), payloadType: "x" }) }),
    );
  });
});
