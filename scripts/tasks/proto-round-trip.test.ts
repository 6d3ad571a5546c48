import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { TelemetrySchema } from "@langtian/proto";
import { sampleTelemetry } from "../../packages/envelope/src/envelope-fixtures.ts";
import {
  createEnvelope,
  decodeEnvelope,
  decodePayload,
  decodePayloadAs,
  encodeEnvelope,
  validateEnvelope,
} from "../../packages/envelope/src/index.ts";
import { provisionPython, tempDir } from "../../packages/testing/src/index.ts";
import { protocArtifacts, runCaptured } from "./proto.ts";

const pythonSide = fileURLToPath(new URL("./proto-round-trip.py", import.meta.url));

/** Runs the Python side with `stdin`, returning its JSON answer; fails with Python's stderr. */
async function runPython(
  python: string,
  args: readonly string[],
  stdin = "",
): Promise<Record<string, unknown>> {
  const result = await runCaptured(python, [pythonSide, ...args], { stdin });
  assert.equal(result.code, 0, `python side failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

// Byte-for-byte comparison is meaningful here because both runtimes write fields in field
// number order, and the test data has at most ONE map entry: with several attributes the
// order of map entries on the wire is unspecified, so equal messages could differ in bytes.
// Python additionally serializes with deterministic=True (sorted map keys).
describe("envelope wire compatibility between TypeScript and Python (official protobuf runtime)", () => {
  let python = "";
  let generated = "";

  before(async () => {
    python = (await provisionPython()).python;
    generated = join(tempDir("proto-python"), "gen");
    await protocArtifacts({ pythonOut: generated });
  });

  it("Python decodes a TypeScript envelope and its telemetry payload and re-encodes identical bytes", async () => {
    const telemetry = sampleTelemetry();
    const envelope = createEnvelope(
      {
        eventType: "device.telemetry",
        schemaVersion: "1.0",
        sourceSystem: "plant-a/line-3",
        partitionKey: telemetry.deviceId,
        eventTime: new Date("2026-11-27T10:00:00.5Z"),
        receivedTime: new Date("2026-11-27T10:00:00.75Z"),
        attributes: { site: "plant-a" },
        traceContext: {
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          tracestate: "x=1",
        },
        payloadSchema: TelemetrySchema,
        payload: telemetry,
      },
      { nowMs: Date.parse("2026-11-27T10:00:01Z") },
    );
    const bytes = encodeEnvelope(envelope);

    const answer = await runPython(python, [generated, "reencode"], Buffer.from(bytes).toString("base64"));

    assert.deepEqual(Buffer.from(answer.envelope as string, "base64"), Buffer.from(bytes));
    assert.deepEqual(Buffer.from(answer.payload as string, "base64"), Buffer.from(envelope.payload));
    assert.equal(answer.event_id, envelope.eventId);
    assert.equal(answer.has_partition_key, true);
    assert.deepEqual(answer.attributes, { site: "plant-a" });
    assert.equal(answer.device_id, "press-7");
    assert.equal(answer.sequence, "42");
    assert.deepEqual(answer.readings, [
      { metric: "temperature", case: "double_value", value: "71.25" },
      { metric: "strokes", case: "int_value", value: "123456789012" },
      { metric: "door_open", case: "bool_value", value: "False" },
      { metric: "mode", case: "string_value", value: "automatic" },
    ]);
  });

  it("TypeScript decodes a Python envelope, finds it valid and re-encodes identical bytes", async () => {
    const answer = await runPython(python, [generated, "encode"]);
    const bytes = Buffer.from(answer.envelope as string, "base64");

    const envelope = decodeEnvelope(bytes);

    assert.deepEqual(validateEnvelope(envelope, { nowMs: Date.parse("2026-11-27T10:00:01Z") }), []);
    assert.deepEqual(Buffer.from(encodeEnvelope(envelope)), bytes);
    assert.equal(
      envelope.eventTimestamp && timestampDate(envelope.eventTimestamp).toISOString(),
      "2026-11-27T10:00:00.250Z",
    );
    assert.equal(envelope.partitionKey, "press-9");
    const generic = decodePayload(envelope);
    assert.equal(generic.$typeName, "langtian.device.v1.Telemetry");
    const telemetry = decodePayloadAs(envelope, TelemetrySchema);
    assert.deepEqual(
      telemetry.readings.map((r) => [r.metric, r.value.case, r.value.value]),
      [
        ["pressure", "doubleValue", 2.5],
        ["cycles", "intValue", -3n],
        ["alarm_active", "boolValue", true],
        ["recipe", "stringValue", "Fräse-12"],
      ],
    );
  });
});
