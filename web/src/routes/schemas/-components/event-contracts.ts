import { type DescEnum, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { AlarmSchema, EnvelopeSchema, StatusChangeSchema, TelemetrySchema } from "@langtian/proto";

/** One event type of the contracts: its schema version, payload message and lake table. */
export interface EventContract {
  /** e.g. "device.telemetry". */
  readonly eventType: string;
  /** "MAJOR.MINOR" of the payload schema. */
  readonly schemaVersion: string;
  readonly payload: DescMessage;
  /** The lake table its events land in. */
  readonly table: string;
}

/**
 * The lake writer's table of an event type and MAJOR schema version (`device.telemetry` 1.x →
 * `device_telemetry_v1`; services/lake-writer/src/tables/event-tables.ts): a new MAJOR gets its
 * own table, MINOR versions share one.
 */
export function eventTableName(eventType: string, schemaVersion: string): string {
  const major = /^(\d+)/.exec(schemaVersion)?.[1] ?? "0";
  return `${eventType.replace(/[^a-z0-9]+/g, "_")}_v${major}`;
}

/**
 * The device event family (packages/envelope device-events.ts: `DeviceEventType`,
 * `deviceSchemaVersion`): each event type with the langtian.device.v1 payload it carries.
 */
export const EVENT_CONTRACTS: readonly EventContract[] = [
  { eventType: "device.telemetry", payload: TelemetrySchema },
  { eventType: "device.status", payload: StatusChangeSchema },
  { eventType: "device.alarm", payload: AlarmSchema },
].map((c) => ({ ...c, schemaVersion: "1.0", table: eventTableName(c.eventType, "1.0") }));

/** The envelope's message, for its fields. */
export const ENVELOPE = EnvelopeSchema;

/**
 * The lake columns every event table starts with: the envelope's, then the record's origin
 * (the lake writer's ENVELOPE_COLUMNS), with the envelope field each comes from.
 */
export const ENVELOPE_COLUMNS: readonly { name: string; type: string; from: string }[] = [
  { name: "event_id", type: "VARCHAR", from: "event_id" },
  { name: "event_type", type: "VARCHAR", from: "event_type" },
  { name: "event_timestamp", type: "TIMESTAMPTZ", from: "event_timestamp" },
  { name: "received_timestamp", type: "TIMESTAMPTZ", from: "received_timestamp" },
  { name: "schema_version", type: "VARCHAR", from: "schema_version" },
  { name: "source_system", type: "VARCHAR", from: "source_system" },
  { name: "partition_key", type: "VARCHAR", from: "partition_key" },
  { name: "payload_type", type: "VARCHAR", from: "payload_type" },
  { name: "attributes", type: "JSON", from: "attributes" },
  { name: "traceparent", type: "VARCHAR", from: "trace_context.traceparent" },
  { name: "_source", type: "VARCHAR", from: "(origin: Kafka topic or JetStream stream)" },
  { name: "_partition", type: "VARCHAR", from: "(origin: partition)" },
  { name: "_position", type: "BIGINT", from: "(origin: offset or sequence)" },
];

/** Payload columns named like an envelope column get a `payload_` prefix in the lake. */
const RESERVED = new Set([...ENVELOPE_COLUMNS.map((c) => c.name), "payload"]);

/** One field of a message as the contracts and the lake see it. */
export interface FieldInfo {
  readonly number: number;
  readonly name: string;
  /** The protobuf type as written in the .proto: "string", "repeated Reading", "map<string, string>". */
  readonly protoType: string;
  /** "optional", "oneof value", or empty. */
  readonly presence: string;
  /** Its lake column (payload fields); undefined for nested messages' fields. */
  readonly column: string;
  /** The column's type as the lake writer creates it. */
  readonly columnType: string;
  /** The enum or message it refers to, for the nested type sections. */
  readonly refers: DescEnum | DescMessage | undefined;
}

const scalarName = (s: ScalarType): string => (ScalarType[s] ?? String(s)).toLowerCase();

/** The lake writer's column type of a scalar (payload-columns.ts). */
function scalarColumnType(s: ScalarType): string {
  switch (s) {
    case ScalarType.STRING:
      return "VARCHAR";
    case ScalarType.BOOL:
      return "BOOLEAN";
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return "DOUBLE";
    case ScalarType.BYTES:
      return "BLOB";
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return "INTEGER";
    default:
      return "BIGINT";
  }
}

/** The fields of a message with their protobuf types and lake columns, in declaration order. */
export function fieldsOf(message: DescMessage): FieldInfo[] {
  return message.fields.map((f) => fieldInfo(f));
}

function fieldInfo(f: DescField): FieldInfo {
  const column = RESERVED.has(f.name) ? `payload_${f.name}` : f.name;
  const presence =
    f.fieldKind !== "list" && f.fieldKind !== "map" && f.oneof !== undefined
      ? `oneof ${f.oneof.name}`
      : f.proto.proto3Optional === true
        ? "optional"
        : "";
  switch (f.fieldKind) {
    case "scalar":
      return {
        number: f.number,
        name: f.name,
        protoType: scalarName(f.scalar),
        presence,
        column,
        columnType: scalarColumnType(f.scalar),
        refers: undefined,
      };
    case "enum":
      return {
        number: f.number,
        name: f.name,
        protoType: f.enum.name,
        presence,
        column,
        columnType: "VARCHAR",
        refers: f.enum,
      };
    case "message":
      return {
        number: f.number,
        name: f.name,
        protoType: f.message.typeName.startsWith("google.protobuf.") ? f.message.typeName : f.message.name,
        presence,
        column,
        columnType: f.message.typeName === "google.protobuf.Timestamp" ? "TIMESTAMPTZ" : "JSON",
        refers: f.message.typeName.startsWith("google.protobuf.") ? undefined : f.message,
      };
    case "list": {
      const item =
        f.listKind === "scalar" ? scalarName(f.scalar) : f.listKind === "enum" ? f.enum.name : f.message.name;
      return {
        number: f.number,
        name: f.name,
        protoType: `repeated ${item}`,
        presence,
        column,
        columnType: "JSON",
        refers: f.listKind === "message" ? f.message : f.listKind === "enum" ? f.enum : undefined,
      };
    }
    case "map": {
      const value =
        f.mapKind === "scalar" ? scalarName(f.scalar) : f.mapKind === "enum" ? f.enum.name : f.message.name;
      return {
        number: f.number,
        name: f.name,
        protoType: `map<${scalarName(f.mapKey)}, ${value}>`,
        presence,
        column,
        columnType: "JSON",
        refers: f.mapKind === "message" ? f.message : f.mapKind === "enum" ? f.enum : undefined,
      };
    }
  }
}

/** Every enum and message a message refers to, nested ones included, each once, in first-use order. */
export function nestedTypesOf(message: DescMessage): (DescEnum | DescMessage)[] {
  const seen = new Map<string, DescEnum | DescMessage>();
  const visit = (m: DescMessage) => {
    for (const f of fieldsOf(m)) {
      if (f.refers === undefined || seen.has(f.refers.typeName)) continue;
      seen.set(f.refers.typeName, f.refers);
      if (f.refers.kind === "message") visit(f.refers);
    }
  };
  visit(message);
  return [...seen.values()];
}

/**
 * The columns the lake writer gives an event table of this payload: the envelope's, one per
 * payload field, and `payload` (the raw bytes when the payload carried fields it did not know).
 */
export function expectedColumns(contract: EventContract): { name: string; type: string }[] {
  return [
    ...ENVELOPE_COLUMNS.map(({ name, type }) => ({ name, type })),
    ...fieldsOf(contract.payload).map((f) => ({ name: f.column, type: f.columnType })),
    { name: "payload", type: "BLOB" },
  ];
}

/** DuckDB's spelling of a column type, for comparing with the lake writer's names. */
export function sameColumnType(expected: string, live: string): boolean {
  const norm = (t: string) =>
    t
      .toUpperCase()
      .replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")
      .replace(/^INT64$/, "BIGINT")
      .replace(/^INT32$/, "INTEGER")
      .trim();
  return norm(expected) === norm(live);
}
