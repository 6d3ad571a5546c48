import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TelemetrySchema } from "@langtian/proto";
import { decodeEnvelope, encodeEnvelope } from "./codec.ts";
import { createEnvelope } from "./create-envelope.ts";
import { sampleTelemetry } from "./envelope-fixtures.ts";
import { EnvelopeDecodeError } from "./errors.ts";

describe("envelope codec", () => {
  it("decodes what it encodes", () => {
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

  it("keeps unknown fields from a newer schema and writes them back", () => {
    const envelope = createEnvelope({
      eventType: "device.telemetry",
      schemaVersion: "1.1",
      sourceSystem: "plant-a",
      payloadType: "application/octet-stream",
      payload: new Uint8Array([1, 2, 3]),
    });
    // Field 99, varint 7: something a future MINOR version might add.
    const bytes = new Uint8Array([...encodeEnvelope(envelope), 0x98, 0x06, 0x07]);
    assert.deepEqual(encodeEnvelope(decodeEnvelope(bytes)), bytes);
  });
});
