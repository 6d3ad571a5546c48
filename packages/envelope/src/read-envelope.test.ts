import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, equals, toBinary } from "@bufbuild/protobuf";
import { type Envelope, EnvelopeSchema } from "@langtian/proto";
import { decodeEnvelope } from "./codec.ts";
import { EnvelopeDecodeError } from "./errors.ts";
import { readEnvelope } from "./read-envelope.ts";

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

/** Same outcome as the generic decoder: both throw, or both return equal envelopes. */
function assertSameAsFromBinary(bytes: Uint8Array): void {
  let expected: Envelope | undefined;
  try {
    expected = decodeEnvelope(bytes);
  } catch {
    assert.throws(
      () => readEnvelope(bytes),
      EnvelopeDecodeError,
      `accepted ${Buffer.from(bytes).toString("hex")}`,
    );
    return;
  }
  const actual = readEnvelope(bytes);
  assert.ok(equals(EnvelopeSchema, actual, expected), `differs for ${Buffer.from(bytes).toString("hex")}`);
  assert.deepEqual(Object.entries(actual.attributes), Object.entries(expected.attributes));
  assert.equal(actual.partitionKey, expected.partitionKey);
}

describe("readEnvelope", () => {
  it("decodes every envelope field like fromBinary", () => {
    const bytes = toBinary(EnvelopeSchema, fullEnvelope());
    assertSameAsFromBinary(bytes);
    const envelope = readEnvelope(bytes);
    assert.equal(envelope.partitionKey, "");
    assert.equal(Object.getOwnPropertyDescriptor(envelope.attributes, "__proto__")?.value, "own key");
    assert.equal(envelope.traceContext?.tracestate, "a=b");
  });

  it("leaves unset fields at their defaults and skips unknown fields", () => {
    assertSameAsFromBinary(new Uint8Array(0));
    const unknown = Uint8Array.from([...toBinary(EnvelopeSchema, fullEnvelope()), 0xa0, 0x06, 0x01]);
    assertSameAsFromBinary(unknown);
    assert.equal(readEnvelope(new Uint8Array(0)).partitionKey, undefined);
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
