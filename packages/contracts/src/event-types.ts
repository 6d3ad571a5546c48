import type { DescMessage } from "@bufbuild/protobuf";
import { AlarmSchema, StatusChangeSchema, TelemetrySchema } from "@langtian/proto";

/** event_type of each device event (langtian.device.v1 payloads). */
export const DeviceEventType = {
  telemetry: "device.telemetry",
  status: "device.status",
  alarm: "device.alarm",
} as const;

/** One of {@link DeviceEventType}. */
export type DeviceEventType = (typeof DeviceEventType)[keyof typeof DeviceEventType];

/** schema_version of the langtian.device.v1 payloads; MINOR grows with additive changes. */
export const deviceSchemaVersion = "1.0";

/** One event type of the contracts: its schema version, payload message and lake table. */
export interface EventContract {
  /** e.g. "device.telemetry". */
  readonly eventType: string;
  /** "MAJOR.MINOR" of the payload schema. */
  readonly schemaVersion: string;
  /** The message its payload carries (its full name is the envelope's payload_type). */
  readonly payload: DescMessage;
  /** The lake table its events land in (see {@link eventTableName}). */
  readonly table: string;
}

/**
 * Table of an event type and MAJOR schema version: `device.telemetry` 1.x →
 * `device_telemetry_v1`. A new MAJOR version is a breaking change, so it gets its own
 * table instead of mutating the old one; MINOR versions share it (new fields add columns).
 */
export function eventTableName(eventType: string, schemaVersion: string): string {
  const major = /^(\d+)/.exec(schemaVersion)?.[1] ?? "0";
  return `${eventType.replace(/[^a-z0-9]+/g, "_")}_v${major}`;
}

function contract(eventType: string, schemaVersion: string, payload: DescMessage): EventContract {
  return { eventType, schemaVersion, payload, table: eventTableName(eventType, schemaVersion) };
}

/**
 * Every event type the platform defines, with the payload message it carries. The generated
 * descriptors do not say which event type a payload belongs to, so this list is where that is
 * written down; producers (`createDeviceEnvelope`) and readers (the web UI's Schemas page) use it.
 */
export const eventContracts: readonly EventContract[] = [
  contract(DeviceEventType.telemetry, deviceSchemaVersion, TelemetrySchema),
  contract(DeviceEventType.status, deviceSchemaVersion, StatusChangeSchema),
  contract(DeviceEventType.alarm, deviceSchemaVersion, AlarmSchema),
];

/** The contract of an event type, or undefined when the platform defines no such type. */
export function eventContractOf(eventType: string): EventContract | undefined {
  return eventContracts.find((c) => c.eventType === eventType);
}
