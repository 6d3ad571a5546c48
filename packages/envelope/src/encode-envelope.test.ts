import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Envelope, EnvelopeSchema, TelemetrySchema, TraceContextSchema } from "@langtian/proto";
import { createEnvelope } from "./create-envelope.ts";
import { encodeEnvelope } from "./encode-envelope.ts";
import { sampleTelemetry } from "./envelope-fixtures.ts";

describe("encodeEnvelope", () => {
  it("writes exactly the bytes of protobuf-es' toBinary, for every field shape", () => {
    const base = createEnvelope({
      eventType: "device.telemetry",
      schemaVersion: "1.0",
      sourceSystem: "plant-a",
      payloadSchema: TelemetrySchema,
      payload: sampleTelemetry(),
      attributes: { site: "a", line: "2" },
    });
    const variants: Envelope[] = [
      base,
      create(EnvelopeSchema),
      { ...base, partitionKey: "" },
      { ...base, partitionKey: "press-7" },
      { ...base, sourceSystem: "Werk Zürich ☃", attributes: { schlüssel: "wert ✓", "": "" } },
      { ...base, payloadType: "t".repeat(127), eventType: "e".repeat(128) },
      { ...base, payload: new Uint8Array(300).fill(7) },
      { ...base, payload: new Uint8Array(70_000).fill(9) },
      {
        ...base,
        attributes: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, "v".repeat(i * 5)])),
      },
      { ...base, attributes: { long: "x".repeat(200) } },
      { ...base, traceContext: create(TraceContextSchema, { traceparent: "00-abc-def-01", tracestate: "" }) },
      { ...base, traceContext: create(TraceContextSchema) },
      { ...base, eventTimestamp: timestampFromMs(0), receivedTimestamp: timestampFromMs(1_790_000_000_000) },
      { ...base, eventTimestamp: timestampFromMs(1_790_000_000_123), receivedTimestamp: undefined },
      { ...base, eventTimestamp: timestampFromMs(-1_500) },
      { ...base, eventTimestamp: { ...timestampFromMs(5), seconds: 2n ** 60n } },
    ];
    for (const [i, envelope] of variants.entries()) {
      assert.deepEqual(encodeEnvelope(envelope), toBinary(EnvelopeSchema, envelope), `variant ${i}`);
    }
  });
});
