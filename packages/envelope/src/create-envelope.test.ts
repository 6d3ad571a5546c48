import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  AlarmSchema,
  AlarmSeverity,
  AlarmState,
  DeviceState,
  StatusChangeSchema,
  TelemetrySchema,
} from "@langtian/proto";
import { createEnvelope } from "./create-envelope.ts";
import { createDeviceEnvelope, DeviceEventType } from "./device-events.ts";
import { sampleTelemetry } from "./envelope-fixtures.ts";
import { EnvelopeValidationError } from "./errors.ts";
import { decodePayloadAs } from "./payload-registry.ts";
import { deterministicEventId, uuidVersion } from "./uuid.ts";

describe("createEnvelope", () => {
  it("fills a UUIDv7 id, the current time and payload_type from the payload schema", () => {
    const before = Date.now();
    const envelope = createEnvelope({
      eventType: "device.telemetry",
      schemaVersion: "1.0",
      sourceSystem: "plant-a",
      payloadSchema: TelemetrySchema,
      payload: { deviceId: "d", sequence: 1n },
    });
    assert.equal(uuidVersion(envelope.eventId), 7);
    assert.equal(envelope.payloadType, "langtian.device.v1.Telemetry");
    assert.ok(envelope.eventTimestamp && timestampDate(envelope.eventTimestamp).getTime() >= before);
    assert.equal(envelope.partitionKey, undefined);
    assert.equal(envelope.traceContext, undefined);
  });

  it("refuses to build an invalid envelope and lists every problem", () => {
    assert.throws(
      () =>
        createEnvelope({
          eventType: "Telemetry",
          schemaVersion: "1",
          sourceSystem: "",
          payloadType: "application/octet-stream",
          payload: new Uint8Array(),
        }),
      (err: unknown) => err instanceof EnvelopeValidationError && err.violations.length === 3,
    );
  });

  it("uses the given id, times, key, attributes and trace context", () => {
    const envelope = createEnvelope(
      {
        eventId: "0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f20",
        eventType: "device.telemetry",
        schemaVersion: "1.2",
        sourceSystem: "plant-a",
        eventTime: new Date("2026-11-27T10:00:00Z"),
        receivedTime: new Date("2026-11-27T10:00:01Z"),
        partitionKey: "press-7",
        attributes: { line: "3" },
        traceContext: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
        payloadSchema: TelemetrySchema,
        payload: sampleTelemetry(),
      },
      { nowMs: Date.parse("2026-11-27T10:00:02Z") },
    );
    assert.equal(envelope.eventId, "0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f20");
    assert.equal(envelope.receivedTimestamp?.seconds, BigInt(Date.parse("2026-11-27T10:00:01Z") / 1000));
    assert.equal(envelope.partitionKey, "press-7");
    assert.deepEqual(envelope.attributes, { line: "3" });
    assert.equal(envelope.traceContext?.tracestate, "");
  });
});

describe("createDeviceEnvelope", () => {
  it("gives a retransmitted device message the same event id, keyed by device", () => {
    const first = createDeviceEnvelope({
      sourceSystem: "plant-a",
      payload: { kind: "telemetry", message: sampleTelemetry() },
    });
    const retransmit = createDeviceEnvelope({
      sourceSystem: "plant-a",
      payload: { kind: "telemetry", message: sampleTelemetry() },
    });
    assert.equal(first.eventId, retransmit.eventId);
    assert.equal(first.eventId, deterministicEventId("plant-a", "press-7", 42n));
    assert.equal(first.partitionKey, "press-7");
    assert.equal(first.eventType, DeviceEventType.telemetry);
    assert.equal(first.schemaVersion, "1.0");
  });

  it("wraps status changes and alarms with their own event types and payload types", () => {
    const status = createDeviceEnvelope({
      sourceSystem: "plant-a",
      payload: {
        kind: "status",
        message: create(StatusChangeSchema, {
          deviceId: "d",
          sequence: 1n,
          fromState: DeviceState.RUNNING,
          toState: DeviceState.FAULT,
          reason: "watchdog",
        }),
      },
    });
    const alarm = createDeviceEnvelope({
      sourceSystem: "plant-a",
      payload: {
        kind: "alarm",
        message: create(AlarmSchema, {
          deviceId: "d",
          sequence: 2n,
          code: "TEMP_HIGH",
          severity: AlarmSeverity.CRITICAL,
          state: AlarmState.RAISED,
          threshold: 80,
          value: 85.5,
        }),
      },
    });
    assert.deepEqual(
      [status.eventType, status.payloadType],
      ["device.status", "langtian.device.v1.StatusChange"],
    );
    assert.deepEqual([alarm.eventType, alarm.payloadType], ["device.alarm", "langtian.device.v1.Alarm"]);
    assert.equal(decodePayloadAs(alarm, AlarmSchema).threshold, 80);
    assert.notEqual(status.eventId, alarm.eventId);
  });
});
