import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { DeviceEventType, deviceSchemaVersion } from "@langtian/contracts";
import {
  type Alarm,
  AlarmSchema,
  type Envelope,
  type StatusChange,
  StatusChangeSchema,
  type Telemetry,
  TelemetrySchema,
} from "@langtian/proto";
import { createEnvelope } from "./create-envelope.ts";
import { deterministicEventId } from "./uuid.ts";
import type { ValidateOptions } from "./validate-envelope.ts";

// The event types and their schema version are the contracts' (one list for producers,
// the lake writer and the web UI); re-exported here for the envelope's callers.
export { DeviceEventType, deviceSchemaVersion };

/** A device payload message together with its event type. */
export type DevicePayload =
  | { kind: "telemetry"; message: Telemetry }
  | { kind: "status"; message: StatusChange }
  | { kind: "alarm"; message: Alarm };

/** Inputs of {@link createDeviceEnvelope}. */
export interface DeviceEnvelopeInit {
  sourceSystem: string;
  payload: DevicePayload;
  /** When the event happened (device clock). Default: now. */
  eventTime?: Date | Timestamp;
  /** When the collector received it. */
  receivedTime?: Date | Timestamp;
  attributes?: Record<string, string>;
}

/**
 * Wraps a device message in a validated envelope the way every producer must: event id
 * derived from (source, device id, sequence) so retransmits deduplicate, partition key =
 * device id so one device's events stay in order, event type and schema version of the family.
 */
export function createDeviceEnvelope(init: DeviceEnvelopeInit, options: ValidateOptions = {}): Envelope {
  const { kind, message } = init.payload;
  const common = {
    eventId: deterministicEventId(init.sourceSystem, message.deviceId, message.sequence),
    eventType: DeviceEventType[kind],
    schemaVersion: deviceSchemaVersion,
    sourceSystem: init.sourceSystem,
    partitionKey: message.deviceId,
    ...(init.eventTime !== undefined && { eventTime: init.eventTime }),
    ...(init.receivedTime !== undefined && { receivedTime: init.receivedTime }),
    ...(init.attributes !== undefined && { attributes: init.attributes }),
  };
  switch (init.payload.kind) {
    case "telemetry":
      return createEnvelope(
        { ...common, payloadSchema: TelemetrySchema, payload: init.payload.message },
        options,
      );
    case "status":
      return createEnvelope(
        { ...common, payloadSchema: StatusChangeSchema, payload: init.payload.message },
        options,
      );
    case "alarm":
      return createEnvelope(
        { ...common, payloadSchema: AlarmSchema, payload: init.payload.message },
        options,
      );
  }
}
