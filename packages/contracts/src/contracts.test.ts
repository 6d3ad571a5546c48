import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EnvelopeSchema, ReadingSchema, TelemetrySchema } from "@langtian/proto";
import {
  DeviceEventType,
  deviceSchemaVersion,
  ENVELOPE_COLUMN_SOURCES,
  ENVELOPE_COLUMNS,
  eventContractOf,
  eventContracts,
  eventTableColumns,
  eventTableName,
  payloadColumnSpecs,
  RESERVED_COLUMN_NAMES,
} from "./index.ts";

describe("event contracts", () => {
  it("lists every device event type with its payload message and lake table", () => {
    assert.deepEqual(
      eventContracts.map((c) => [c.eventType, c.schemaVersion, c.payload.typeName, c.table]),
      [
        ["device.telemetry", "1.0", "langtian.device.v1.Telemetry", "device_telemetry_v1"],
        ["device.status", "1.0", "langtian.device.v1.StatusChange", "device_status_v1"],
        ["device.alarm", "1.0", "langtian.device.v1.Alarm", "device_alarm_v1"],
      ],
    );
    assert.deepEqual(eventContracts.map((c) => c.eventType).sort(), Object.values(DeviceEventType).sort());
    assert.ok(eventContracts.every((c) => c.schemaVersion === deviceSchemaVersion));
    assert.equal(eventContractOf("device.alarm")?.payload.name, "Alarm");
    assert.equal(eventContractOf("device.config"), undefined);
  });

  it("names a table after the event type and MAJOR version: MINOR versions share it", () => {
    assert.equal(eventTableName("device.telemetry", "1.0"), "device_telemetry_v1");
    assert.equal(eventTableName("device.telemetry", "1.7"), "device_telemetry_v1");
    assert.equal(eventTableName("line.kpi-rollup", "2.0"), "line_kpi_rollup_v2");
    assert.equal(eventTableName("x.y", "bad"), "x_y_v0");
  });
});

describe("payload columns", () => {
  it("maps scalars to their SQL type, enums to VARCHAR, Timestamps to TIMESTAMPTZ and lists to JSON", () => {
    assert.deepEqual(payloadColumnSpecs(ReadingSchema), [
      { name: "metric", type: "VARCHAR" },
      { name: "double_value", type: "DOUBLE" },
      { name: "int_value", type: "BIGINT" },
      { name: "bool_value", type: "BOOLEAN" },
      { name: "string_value", type: "VARCHAR" },
      { name: "unit", type: "VARCHAR" },
      { name: "quality", type: "VARCHAR" },
      { name: "sampled_at", type: "TIMESTAMPTZ" },
    ]);
    assert.deepEqual(payloadColumnSpecs(TelemetrySchema), [
      { name: "device_id", type: "VARCHAR" },
      { name: "sequence", type: "BIGINT" },
      { name: "readings", type: "JSON" },
    ]);
  });

  it("prefixes fields named like an envelope column or the raw payload, and maps maps and messages to JSON", () => {
    const columns = payloadColumnSpecs(EnvelopeSchema);
    const byField = new Map(EnvelopeSchema.fields.map((f, i) => [f.name, columns[i]]));
    assert.deepEqual(byField.get("event_id"), { name: "payload_event_id", type: "VARCHAR" });
    assert.deepEqual(byField.get("payload"), { name: "payload_payload", type: "BLOB" });
    assert.deepEqual(byField.get("attributes"), { name: "payload_attributes", type: "JSON" });
    assert.deepEqual(byField.get("trace_context"), { name: "trace_context", type: "JSON" });
    assert.ok(RESERVED_COLUMN_NAMES.has("payload"));
  });

  it("gives an event table the envelope's columns, the payload's, then the raw payload", () => {
    const columns = eventTableColumns(TelemetrySchema);
    assert.deepEqual(columns.slice(0, ENVELOPE_COLUMNS.length), ENVELOPE_COLUMNS);
    assert.deepEqual(
      columns.slice(ENVELOPE_COLUMNS.length).map((c) => c.name),
      ["device_id", "sequence", "readings", "payload"],
    );
    assert.deepEqual(
      Object.keys(ENVELOPE_COLUMN_SOURCES),
      ENVELOPE_COLUMNS.map((c) => c.name),
    );
  });
});
