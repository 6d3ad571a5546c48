import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Envelope, EnvelopeSchema, TelemetrySchema } from "@langtian/proto";
import { createEnvelope } from "./create-envelope.ts";
import { decodeEnvelope } from "./decode-envelope.ts";
import { encodeEnvelope } from "./encode-envelope.ts";
import { sampleTelemetry } from "./envelope-fixtures.ts";
import { EnvelopeDecodeError } from "./errors.ts";

function fullEnvelope(): Envelope {
  return create(EnvelopeSchema, {
    eventId: "0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f20",
    eventType: "device.telemetry",
    eventTimestamp: { seconds: 1_795_000_000n, nanos: 123_456_789 },
    schemaVersion: "1.2",
    sourceSystem: "plant-1/line-2 ünïcode",
    partitionKey: "",
    payload: new Uint8Array([1, 2, 3, 250]),
    payloadType: "langtian.device.v1.Telemetry",
    attributes: { site: "north", "": "empty key", ["__proto__"]: "own key" },
    traceContext: {
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: "a=b",
    },
    receivedTimestamp: { seconds: -62_135_596_800n, nanos: 0 },
  });
}

/**
 * Same outcome as the generic decoder: both throw, or both return equal envelopes, unknown
 * fields (`$unknown`, which `equals` ignores) included.
 */
function assertSameAsFromBinary(bytes: Uint8Array): void {
  let expected: Envelope | undefined;
  try {
    expected = fromBinary(EnvelopeSchema, bytes);
  } catch {
    assert.throws(
      () => decodeEnvelope(bytes),
      EnvelopeDecodeError,
      `accepted ${Buffer.from(bytes).toString("hex")}`,
    );
    return;
  }
  const actual = decodeEnvelope(bytes);
  assert.ok(equals(EnvelopeSchema, actual, expected), `differs for ${Buffer.from(bytes).toString("hex")}`);
  assert.deepEqual(Object.entries(actual.attributes), Object.entries(expected.attributes));
  assert.equal(actual.partitionKey, expected.partitionKey);
  assert.deepEqual(actual, expected, `differs for ${Buffer.from(bytes).toString("hex")}`);
}

describe("decodeEnvelope", () => {
  it("decodes what encodeEnvelope encodes", () => {
    const envelope = createEnvelope({
      eventType: "device.telemetry",
      schemaVersion: "1.0",
      sourceSystem: "plant-a",
      payloadSchema: TelemetrySchema,
      payload: sampleTelemetry(),
      attributes: { site: "a" },
    });
    const decoded = decodeEnvelope(encodeEnvelope(envelope));
    assert.deepEqual(decoded, envelope);
  });

  it("turns corrupt bytes into a named EnvelopeDecodeError with the parser's cause", () => {
    // Field 1 (event_id), length-delimited, claims 100 bytes but the input ends after 1.
    const truncated = new Uint8Array([0x0a, 100, 0x41]);
    assert.throws(
      () => decodeEnvelope(truncated),
      (err: unknown) => {
        assert.ok(err instanceof EnvelopeDecodeError);
        assert.match(err.message, /cannot decode an Envelope from 3 bytes/);
        assert.ok(err.cause instanceof Error);
        return true;
      },
    );
  });

  it("keeps unknown fields from a newer schema and encodeEnvelope writes them back", () => {
    const envelope = createEnvelope({
      eventType: "device.telemetry",
      schemaVersion: "1.1",
      sourceSystem: "plant-a",
      payloadType: "application/octet-stream",
      payload: new Uint8Array([1, 2, 3]),
    });
    // Field 99, varint 7: something a future MINOR version might add.
    const bytes = new Uint8Array([...encodeEnvelope(envelope), 0x98, 0x06, 0x07]);
    const decoded = decodeEnvelope(bytes);
    assert.deepEqual(decoded.$unknown, [{ no: 99, wireType: 0, data: new Uint8Array([0x07]) }]);
    assert.deepEqual(encodeEnvelope(decoded), bytes);
  });

  it("decodes every envelope field like fromBinary", () => {
    const bytes = toBinary(EnvelopeSchema, fullEnvelope());
    assertSameAsFromBinary(bytes);
    const envelope = decodeEnvelope(bytes);
    assert.equal(envelope.partitionKey, "");
    assert.equal(Object.getOwnPropertyDescriptor(envelope.attributes, "__proto__")?.value, "own key");
    assert.equal(envelope.traceContext?.tracestate, "a=b");
  });

  it("leaves unset fields at their defaults and keeps unknown fields where fromBinary keeps them", () => {
    assertSameAsFromBinary(new Uint8Array(0));
    assert.equal(decodeEnvelope(new Uint8Array(0)).partitionKey, undefined);
    const full = toBinary(EnvelopeSchema, fullEnvelope());
    // Field 100 varint, field 101 fixed32 and an unknown group (field 102 holding field 1) at
    // the top level; field 3 inside a trace context, a timestamp and a map entry (dropped).
    // biome-ignore format: one unknown field per line
    const unknown = Uint8Array.from([
      ...full,
      0xa0, 0x06, 0x01,
      0xad, 0x06, 1, 2, 3, 4,
      0xb3, 0x06, 0x08, 0x05, 0xb4, 0x06,
      0x52, 0x02, 0x18, 0x09,
      0x1a, 0x02, 0x18, 0x0a,
      0x4a, 0x07, 0x0a, 0x01, 0x6b, 0x12, 0x00, 0x18, 0x0b,
    ]);
    assertSameAsFromBinary(unknown);
    const envelope = decodeEnvelope(unknown);
    assert.deepEqual(
      envelope.$unknown?.map((u) => u.no),
      [100, 101, 102],
    );
    assert.equal(envelope.traceContext?.$unknown?.[0]?.no, 3);
    assert.equal(envelope.eventTimestamp?.$unknown?.[0]?.no, 3);
    assert.equal(envelope.attributes.k, "");
  });

  it("merges a repeated message field and keeps the last scalar, as protobuf concatenation does", () => {
    const first = toBinary(EnvelopeSchema, fullEnvelope());
    const second = toBinary(
      EnvelopeSchema,
      create(EnvelopeSchema, {
        eventId: "second",
        eventTimestamp: { seconds: 7n },
        attributes: { site: "south" },
        traceContext: { traceparent: "x" },
      }),
    );
    assertSameAsFromBinary(Uint8Array.from([...first, ...second]));
  });

  it("fails like fromBinary on every truncation and every corrupted byte", () => {
    const bytes = toBinary(EnvelopeSchema, fullEnvelope());
    for (let length = 0; length < bytes.length; length++) assertSameAsFromBinary(bytes.subarray(0, length));
    for (let i = 0; i < bytes.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const corrupt = Uint8Array.from(bytes);
        corrupt[i] = (corrupt[i] ?? 0) ^ flip;
        assertSameAsFromBinary(corrupt);
      }
    }
  });
});
