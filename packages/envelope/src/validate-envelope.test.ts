import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Envelope, EnvelopeSchema, TraceContextSchema } from "@langtian/proto";
import { EnvelopeValidationError } from "./errors.ts";
import { devicePayloadRegistry } from "./payload-registry.ts";
import { assertValidEnvelope, validateEnvelope } from "./validate-envelope.ts";

const nowMs = Date.UTC(2026, 10, 27, 12, 0, 0);

function validEnvelope(): Envelope {
  return create(EnvelopeSchema, {
    eventId: "0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f20",
    eventType: "device.telemetry",
    eventTimestamp: timestampFromMs(nowMs - 1000),
    schemaVersion: "1.0",
    sourceSystem: "plant-a/line-3",
    partitionKey: "press-7",
    payload: new Uint8Array([10, 1, 120]),
    payloadType: "langtian.device.v1.Telemetry",
    attributes: { site: "plant-a" },
    traceContext: create(TraceContextSchema, {
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }),
  });
}

function rulesAt(envelope: Envelope, options = {}) {
  return validateEnvelope(envelope, { nowMs, ...options }).map((v) => `${v.path}:${v.rule}`);
}

describe("validateEnvelope", () => {
  it("accepts a complete, well-formed envelope", () => {
    assert.deepEqual(validateEnvelope(validEnvelope(), { nowMs }), []);
  });

  it("reports every missing required field at once, not just the first", () => {
    const violations = validateEnvelope(create(EnvelopeSchema), { nowMs });
    assert.deepEqual(
      violations.map((v) => `${v.path}:${v.rule}`),
      [
        "event_id:required",
        "event_type:required",
        "event_timestamp:required",
        "schema_version:required",
        "source_system:required",
        "payload_type:required",
      ],
    );
  });

  it("says which UUID versions it accepts and quotes the bad id", () => {
    const envelope = validEnvelope();
    envelope.eventId = "not-a-uuid";
    const [violation] = validateEnvelope(envelope, { nowMs });
    assert.equal(violation?.rule, "uuid");
    assert.match(violation?.message ?? "", /accepted versions: 7, 5, 4; 7 preferred/);
    assert.match(violation?.message ?? "", /got "not-a-uuid"/);
  });

  it("suggests lower case for an upper-case UUID and rejects versions not accepted", () => {
    const envelope = validEnvelope();
    envelope.eventId = "0190A6E4-7C3B-7D2E-9F1A-3B5C7D9E1F20";
    assert.match(validateEnvelope(envelope, { nowMs })[0]?.message ?? "", /use lower case/);
    envelope.eventId = "0190a6e4-7c3b-1d2e-9f1a-3b5c7d9e1f20";
    assert.deepEqual(rulesAt(envelope), ["event_id:uuid_version"]);
    envelope.eventId = "0190a6e4-7c3b-4d2e-9f1a-3b5c7d9e1f20";
    assert.deepEqual(rulesAt(envelope, { limits: { acceptedUuidVersions: [7] } }), ["event_id:uuid_version"]);
  });

  it("enforces the dotted lower-case event_type grammar and its length", () => {
    for (const bad of [
      "Device.Telemetry",
      "device",
      "device..telemetry",
      "device.9x",
      "device-telemetry.x",
      ".a.b",
    ]) {
      const envelope = validEnvelope();
      envelope.eventType = bad;
      assert.deepEqual(rulesAt(envelope), ["event_type:event_type"], bad);
    }
    const envelope = validEnvelope();
    envelope.eventType = `a.${"b".repeat(200)}`;
    assert.deepEqual(rulesAt(envelope), ["event_type:max_bytes"]);
    envelope.eventType = "plant.line_3.press2";
    assert.deepEqual(rulesAt(envelope), []);
  });

  it("requires schema_version to be MAJOR.MINOR", () => {
    for (const bad of ["1", "v1.0", "1.0.0", "1.x"]) {
      const envelope = validEnvelope();
      envelope.schemaVersion = bad;
      assert.deepEqual(rulesAt(envelope), ["schema_version:schema_version"], bad);
    }
  });

  it("rejects timestamps beyond the configurable future and past bounds", () => {
    const envelope = validEnvelope();
    envelope.eventTimestamp = timestampFromMs(nowMs + 2 * 60 * 60_000);
    const [future] = validateEnvelope(envelope, { nowMs });
    assert.equal(future?.rule, "timestamp_range");
    assert.match(
      future?.message ?? "",
      /after now \(2026-11-27T12:00:00\.000Z\); got 2026-11-27T14:00:00\.000Z/,
    );
    assert.deepEqual(rulesAt(envelope, { limits: { maxFutureSkewMs: 3 * 60 * 60_000 } }), []);

    envelope.eventTimestamp = timestampFromMs(nowMs - 400 * 24 * 60 * 60_000);
    assert.deepEqual(rulesAt(envelope), ["event_timestamp:timestamp_range"]);
    assert.deepEqual(rulesAt(envelope, { limits: { maxPastAgeMs: 500 * 24 * 60 * 60_000 } }), []);
  });

  it("rejects timestamps that are not valid google.protobuf.Timestamp values", () => {
    const envelope = validEnvelope();
    envelope.eventTimestamp = { ...timestampFromMs(nowMs), nanos: 1_000_000_000 };
    envelope.receivedTimestamp = { ...timestampFromMs(nowMs), seconds: 999_999_999_999n };
    assert.deepEqual(rulesAt(envelope), [
      "event_timestamp:timestamp_invalid",
      "received_timestamp:timestamp_invalid",
    ]);
  });

  it("limits source_system, partition_key and control characters", () => {
    const envelope = validEnvelope();
    envelope.sourceSystem = "s".repeat(129);
    envelope.partitionKey = "";
    assert.deepEqual(rulesAt(envelope), ["source_system:max_bytes", "partition_key:required"]);
    envelope.sourceSystem = "plant\nline";
    envelope.partitionKey = "k".repeat(257);
    assert.deepEqual(rulesAt(envelope), ["source_system:control_characters", "partition_key:max_bytes"]);
  });

  it("measures lengths in UTF-8 bytes, so all languages agree", () => {
    const envelope = validEnvelope();
    envelope.sourceSystem = "é".repeat(65); // 65 characters, 130 bytes
    assert.deepEqual(rulesAt(envelope), ["source_system:max_bytes"]);
  });

  it("limits payload size, default 1 MiB, configurable", () => {
    const envelope = validEnvelope();
    envelope.payload = new Uint8Array(1024 * 1024 + 1);
    const [violation] = validateEnvelope(envelope, { nowMs });
    assert.equal(violation?.message, "must be at most 1048576 bytes; got 1048577 bytes");
    envelope.payload = new Uint8Array(2048);
    assert.deepEqual(rulesAt(envelope, { limits: { maxPayloadBytes: 1024 } }), ["payload:max_bytes"]);
  });

  it("accepts message names and media types as payload_type, and checks names against a registry", () => {
    const envelope = validEnvelope();
    envelope.payloadType = "application/json";
    assert.deepEqual(rulesAt(envelope), []);
    envelope.payloadType = "Telemetry";
    assert.deepEqual(rulesAt(envelope), ["payload_type:payload_type"]);
    envelope.payloadType = "langtian.device.v1.Nope";
    assert.deepEqual(rulesAt(envelope), []);
    assert.deepEqual(rulesAt(envelope, { payloadRegistry: devicePayloadRegistry }), [
      "payload_type:unknown_payload_type",
    ]);
  });

  it("limits attribute count, key and value sizes, naming the attribute", () => {
    const envelope = validEnvelope();
    envelope.attributes = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, "v"]));
    assert.deepEqual(rulesAt(envelope), ["attributes:max_count"]);
    envelope.attributes = { ["k".repeat(65)]: "v", line: "x".repeat(1025), "": "empty" };
    const violations = validateEnvelope(envelope, { nowMs });
    assert.deepEqual(
      violations.map((v) => v.rule),
      ["max_bytes", "max_bytes", "required"],
    );
    assert.equal(violations[1]?.path, 'attributes["line"]');
  });

  it("validates the W3C traceparent when a trace context is present", () => {
    for (const bad of [
      "",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    ]) {
      const envelope = validEnvelope();
      envelope.traceContext = create(TraceContextSchema, { traceparent: bad });
      assert.equal(rulesAt(envelope).length, 1, bad);
    }
  });
});

describe("assertValidEnvelope", () => {
  it("throws one error whose message lists every violation with its path and rule", () => {
    const envelope = validEnvelope();
    envelope.eventType = "Bad";
    envelope.schemaVersion = "one";
    assert.throws(
      () => assertValidEnvelope(envelope, { nowMs }),
      (err: unknown) => {
        assert.ok(err instanceof EnvelopeValidationError);
        assert.equal(err.violations.length, 2);
        assert.match(err.message, /2 violation\(s\)/);
        assert.match(err.message, /event_type: .* \[event_type\]/);
        assert.match(err.message, /schema_version: .*got "one" \[schema_version\]/);
        return true;
      },
    );
  });
});
