import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, type DescMessage, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AlarmSchema,
  type AlarmSeverity,
  EnvelopeSchema,
  type Quality,
  ReadingSchema,
  StatusChangeSchema,
  TelemetrySchema,
} from "@langtian/proto";
import { compilePayloadDecoder } from "./payload-decoder.ts";

function decoder(schema: DescMessage) {
  const decode = compilePayloadDecoder(schema);
  assert.ok(decode, `${schema.typeName} should compile`);
  return decode;
}

/** The fast decoder either declines (undefined) or gives exactly what fromBinary gives; declining is only allowed when `mayDecline`. */
function assertSame(schema: DescMessage, bytes: Uint8Array, mayDecline = false): void {
  const fast = decoder(schema)(bytes);
  let expected: unknown;
  let error: unknown;
  try {
    expected = fromBinary(schema, bytes);
  } catch (err) {
    error = err;
  }
  if (error !== undefined) {
    assert.equal(fast, undefined, "bytes fromBinary rejects must be left to fromBinary");
    return;
  }
  if (fast === undefined && mayDecline) return;
  assert.deepEqual(fast, expected);
}

const readings = [
  create(ReadingSchema, { metric: "temp", value: { case: "doubleValue", value: 21.5 }, unit: "C" }),
  create(ReadingSchema, { metric: "count", value: { case: "intValue", value: -(2n ** 63n) }, quality: 2 }),
  create(ReadingSchema, {
    metric: "on",
    value: { case: "boolValue", value: true },
    sampledAt: timestampFromMs(1_795_000_000_123),
  }),
  create(ReadingSchema, {
    metric: "état ✓ 😀",
    value: { case: "stringValue", value: "ünïcode" },
    quality: 99 as Quality,
  }),
  create(ReadingSchema, { metric: "nan", value: { case: "doubleValue", value: Number.NaN } }),
  create(ReadingSchema, {}),
];

const messages: [DescMessage, Uint8Array][] = [
  [TelemetrySchema, toBinary(TelemetrySchema, create(TelemetrySchema, {}))],
  [
    TelemetrySchema,
    toBinary(
      TelemetrySchema,
      create(TelemetrySchema, { deviceId: "dev-1", sequence: 2n ** 64n - 1n, readings }),
    ),
  ],
  [
    TelemetrySchema,
    toBinary(
      TelemetrySchema,
      create(TelemetrySchema, { deviceId: "d", sequence: 7n, readings: readings.slice(0, 1) }),
    ),
  ],
  [
    AlarmSchema,
    toBinary(
      AlarmSchema,
      create(AlarmSchema, {
        deviceId: "a",
        sequence: 1n,
        code: "TEMP_HIGH",
        severity: 3,
        state: 1,
        message: "hot",
        metric: "temp",
        threshold: 80,
        value: -0,
      }),
    ),
  ],
  [
    AlarmSchema,
    toBinary(AlarmSchema, create(AlarmSchema, { deviceId: "a", severity: 12345 as AlarmSeverity })),
  ],
  [
    StatusChangeSchema,
    toBinary(
      StatusChangeSchema,
      create(StatusChangeSchema, { deviceId: "s", fromState: 1, toState: 3, reason: "go" }),
    ),
  ],
];

describe("compilePayloadDecoder", () => {
  it("decodes the device payloads exactly as fromBinary does", () => {
    for (const [schema, bytes] of messages) assertSame(schema, bytes);
  });

  it("follows fromBinary on repeated fields: last scalar and oneof case win, singular messages merge", () => {
    const writer = new BinaryWriter();
    writer.tag(1, WireType.LengthDelimited).string("first");
    writer.tag(2, WireType.Bit64).double(1.5);
    writer.tag(8, WireType.LengthDelimited).bytes(new Uint8Array(0));
    writer.tag(1, WireType.LengthDelimited).string("second");
    writer.tag(5, WireType.LengthDelimited).string("text wins");
    // Two Timestamp occurrences: seconds from the first, nanos from the second.
    const seconds = new BinaryWriter().tag(1, WireType.Varint).int64(1_795_000_000n).finish();
    const nanos = new BinaryWriter().tag(2, WireType.Varint).int32(5000).finish();
    writer.tag(8, WireType.LengthDelimited).bytes(seconds);
    writer.tag(8, WireType.LengthDelimited).bytes(nanos);
    const reading = writer.finish();
    assertSame(ReadingSchema, reading);
    const telemetry = new BinaryWriter()
      .tag(3, WireType.LengthDelimited)
      .bytes(reading)
      .tag(3, WireType.LengthDelimited)
      .bytes(reading)
      .finish();
    assertSame(TelemetrySchema, telemetry);
    assert.ok(decoder(TelemetrySchema)(telemetry), "merging input stays on the fast path");
  });

  it("leaves unknown fields, wrong wire types and every truncation or corruption to fromBinary", () => {
    const unknown = new BinaryWriter()
      .tag(1, WireType.LengthDelimited)
      .string("d")
      .tag(99, WireType.Varint)
      .uint32(1)
      .finish();
    assert.equal(decoder(TelemetrySchema)(unknown), undefined);
    const wrongWire = new BinaryWriter().tag(2, WireType.LengthDelimited).string("7").finish();
    assert.equal(decoder(TelemetrySchema)(wrongWire), undefined);
    for (const [schema, bytes] of messages) {
      for (let end = 0; end < bytes.length; end++) assertSame(schema, bytes.subarray(0, end), true);
      for (let i = 0; i < bytes.length; i++) {
        for (const value of [0x00, 0x80, 0xff, (bytes[i] ?? 0) ^ 0x01]) {
          const corrupted = bytes.slice();
          corrupted[i] = value;
          assertSame(schema, corrupted, true);
        }
      }
    }
  });

  it("declines schemas with maps", () => {
    assert.equal(compilePayloadDecoder(EnvelopeSchema), undefined);
  });
});
