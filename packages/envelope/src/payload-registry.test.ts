import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, isMessage } from "@bufbuild/protobuf";
import {
  AlarmSchema,
  AlarmSeverity,
  AlarmState,
  file_langtian_lifecycle_v1_lifecycle,
  HealthResponseSchema,
  TelemetrySchema,
} from "@langtian/proto";
import { createEnvelope } from "./create-envelope.ts";
import { sampleTelemetry } from "./envelope-fixtures.ts";
import { PayloadDecodeError, PayloadTypeMismatchError, UnknownPayloadTypeError } from "./errors.ts";
import {
  createPayloadRegistry,
  decodePayload,
  decodePayloadAs,
  devicePayloadRegistry,
  envelopeFromJson,
  envelopeToJson,
} from "./payload-registry.ts";

const telemetryEnvelope = () =>
  createEnvelope({
    eventType: "device.telemetry",
    schemaVersion: "1.0",
    sourceSystem: "plant-a",
    partitionKey: "press-7",
    eventTime: new Date("2026-11-27T10:00:00.5Z"),
    payloadSchema: TelemetrySchema,
    payload: sampleTelemetry(),
  });

describe("payload registry", () => {
  it("knows every device payload by its full message name", () => {
    for (const name of [
      "langtian.device.v1.Telemetry",
      "langtian.device.v1.StatusChange",
      "langtian.device.v1.Alarm",
    ]) {
      assert.equal(devicePayloadRegistry.getMessage(name)?.typeName, name);
    }
  });

  it("decodes a payload generically from payload_type alone", () => {
    const payload = decodePayload(telemetryEnvelope());
    assert.ok(isMessage(payload, TelemetrySchema));
    assert.deepEqual(payload, sampleTelemetry());
  });

  it("decodes a payload as an expected type, and refuses a different one", () => {
    assert.equal(decodePayloadAs(telemetryEnvelope(), TelemetrySchema).sequence, 42n);
    assert.throws(() => decodePayloadAs(telemetryEnvelope(), AlarmSchema), PayloadTypeMismatchError);
  });

  it("names the unknown payload_type, and accepts it once the registry is extended", () => {
    const envelope = createEnvelope({
      eventType: "service.health",
      schemaVersion: "1.0",
      sourceSystem: "plant-a",
      payloadSchema: HealthResponseSchema,
      payload: { service: "collector", live: true },
    });
    assert.throws(
      () => decodePayload(envelope),
      (err: unknown) => {
        assert.ok(err instanceof UnknownPayloadTypeError);
        assert.equal(err.payloadType, "langtian.lifecycle.v1.HealthResponse");
        return true;
      },
    );
    const registry = createPayloadRegistry(file_langtian_lifecycle_v1_lifecycle);
    assert.ok(isMessage(decodePayload(envelope, registry), HealthResponseSchema));
    assert.ok(registry.getMessage("langtian.device.v1.Telemetry"));
  });

  it("turns corrupt payload bytes into a PayloadDecodeError naming the event and type", () => {
    const envelope = telemetryEnvelope();
    envelope.payload = new Uint8Array([0x0a, 50]);
    assert.throws(
      () => decodePayload(envelope),
      /cannot decode payload of event .* as langtian.device.v1.Telemetry \(2 bytes\)/,
    );
    assert.throws(() => decodePayload(envelope), PayloadDecodeError);
  });
});

describe("envelope JSON", () => {
  it("shows a known payload as readable JSON and parses it back to the same envelope", () => {
    const envelope = telemetryEnvelope();
    const json = envelopeToJson(envelope);
    assert.equal(json.eventTimestamp, "2026-11-27T10:00:00.500Z");
    assert.deepEqual((json.payload as { readings: unknown[] }).readings[0], {
      metric: "temperature",
      doubleValue: 71.25,
      unit: "Cel",
      quality: "QUALITY_GOOD",
    });
    assert.deepEqual(envelopeFromJson(JSON.parse(JSON.stringify(json))), envelope);
  });

  it("keeps a payload of unknown type as base64", () => {
    const envelope = createEnvelope({
      eventType: "x.raw",
      schemaVersion: "1.0",
      sourceSystem: "s",
      payloadType: "application/octet-stream",
      payload: new Uint8Array([0xff, 0x00]),
    });
    const json = envelopeToJson(envelope);
    assert.equal(json.payload, "/wA=");
    assert.deepEqual(envelopeFromJson(json), envelope);
  });

  it("reports payload JSON that does not fit its type", () => {
    const json = envelopeToJson(
      createEnvelope({
        eventType: "device.alarm",
        schemaVersion: "1.0",
        sourceSystem: "s",
        payloadSchema: AlarmSchema,
        payload: create(AlarmSchema, {
          code: "TEMP_HIGH",
          severity: AlarmSeverity.CRITICAL,
          state: AlarmState.RAISED,
        }),
      }),
    );
    json.payload = { code: 12, nonsense: true };
    assert.throws(() => envelopeFromJson(json), /cannot parse payload JSON as langtian.device.v1.Alarm/);
  });
});
