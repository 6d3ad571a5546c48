import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type Envelope, TelemetrySchema } from "@langtian/proto";
import { sampleTelemetry } from "../../packages/envelope/src/envelope-fixtures.ts";
import {
  createEnvelope,
  decodeEnvelope,
  decodePayload,
  decodePayloadAs,
  encodeEnvelope,
  validateEnvelope,
} from "../../packages/envelope/src/index.ts";
import { runCaptured } from "./proto.ts";

// Shared by proto-round-trip.test.ts (bindings generated into a folder) and
// proto-artifacts.test.ts (the wheel installed into a fresh venv): one pair of sample envelopes
// and one set of expectations, so both prove the same wire compatibility.
//
// Byte-for-byte comparison is meaningful because both runtimes write fields in field number
// order, and the samples have at most ONE map entry: with several attributes the order of map
// entries on the wire is unspecified, so equal messages could differ in bytes. Python
// additionally serializes with deterministic=True (sorted map keys).

const pythonSide = fileURLToPath(new URL("./proto-round-trip.py", import.meta.url));

/** `now` for validating the samples (their timestamps are just before it). */
const nowMs = Date.parse("2026-11-27T10:00:01Z");

/**
 * Runs proto-round-trip.py with `python`, importing the bindings from `generatedDir`, or from
 * the installed `langtian-contracts` wheel when it is `"installed"`. Returns its JSON answer;
 * fails with Python's stderr.
 */
export async function runPythonSide(
  python: string,
  generatedDir: string,
  mode: "encode" | "reencode",
  stdin?: string,
): Promise<Record<string, unknown>> {
  const result = await runCaptured(
    python,
    [pythonSide, generatedDir, mode],
    stdin === undefined ? {} : { stdin },
  );
  assert.equal(result.code, 0, `python side failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** The envelope TypeScript sends to Python: telemetry with every kind of reading value. */
export function typescriptSampleEnvelope(): Envelope {
  const telemetry = sampleTelemetry();
  return createEnvelope(
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
    { nowMs },
  );
}

/**
 * Sends {@link typescriptSampleEnvelope} through Python's `reencode` and checks Python read
 * every field and wrote back identical bytes. Returns Python's answer for further checks.
 */
export async function assertPythonReencodes(
  python: string,
  generatedDir: string,
): Promise<Record<string, unknown>> {
  const envelope = typescriptSampleEnvelope();
  const bytes = encodeEnvelope(envelope);
  const answer = await runPythonSide(python, generatedDir, "reencode", Buffer.from(bytes).toString("base64"));
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
  return answer;
}

/**
 * Has Python `encode` its sample envelope and checks that TypeScript decodes it, finds it
 * valid, reads the telemetry payload and re-encodes identical bytes. Returns Python's answer.
 */
export async function assertTypescriptDecodesPython(
  python: string,
  generatedDir: string,
): Promise<Record<string, unknown>> {
  const answer = await runPythonSide(python, generatedDir, "encode");
  const bytes = Buffer.from(answer.envelope as string, "base64");

  const envelope = decodeEnvelope(bytes);

  assert.deepEqual(validateEnvelope(envelope, { nowMs }), []);
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
  return answer;
}
