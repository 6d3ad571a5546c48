import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";

/** Column types the lake writer creates. */
export const COLUMN_TYPES = [
  "VARCHAR",
  "BIGINT",
  "INTEGER",
  "DOUBLE",
  "BOOLEAN",
  "TIMESTAMPTZ",
  "BLOB",
  "JSON",
] as const;

/** One of {@link COLUMN_TYPES}. */
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** A column of a lake table. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

/** Columns every event table starts with: the envelope, then the record's origin. */
export const ENVELOPE_COLUMNS: readonly ColumnSpec[] = [
  { name: "event_id", type: "VARCHAR" },
  { name: "event_type", type: "VARCHAR" },
  { name: "event_timestamp", type: "TIMESTAMPTZ" },
  { name: "received_timestamp", type: "TIMESTAMPTZ" },
  { name: "schema_version", type: "VARCHAR" },
  { name: "source_system", type: "VARCHAR" },
  { name: "partition_key", type: "VARCHAR" },
  { name: "payload_type", type: "VARCHAR" },
  { name: "attributes", type: "JSON" },
  { name: "traceparent", type: "VARCHAR" },
  { name: "_source", type: "VARCHAR" },
  { name: "_partition", type: "VARCHAR" },
  { name: "_position", type: "BIGINT" },
];

/** Where each of {@link ENVELOPE_COLUMNS} comes from: an envelope field, or the record's origin. */
export const ENVELOPE_COLUMN_SOURCES: Readonly<Record<string, string>> = {
  event_id: "event_id",
  event_type: "event_type",
  event_timestamp: "event_timestamp",
  received_timestamp: "received_timestamp",
  schema_version: "schema_version",
  source_system: "source_system",
  partition_key: "partition_key",
  payload_type: "payload_type",
  attributes: "attributes",
  traceparent: "trace_context.traceparent",
  _source: "(origin: Kafka topic or JetStream stream)",
  _partition: "(origin: partition)",
  _position: "(origin: offset or sequence)",
};

/**
 * Column holding the undecoded payload: always for payload types the writer does not know,
 * and for known types only when the payload carried fields the writer does not know yet
 * (NULL otherwise), so a column added later can be back-filled from it.
 */
export const RAW_PAYLOAD_COLUMN: ColumnSpec = { name: "payload", type: "BLOB" };

/** Names a payload field's column may not take: it gets a `payload_` prefix instead. */
export const RESERVED_COLUMN_NAMES: ReadonlySet<string> = new Set([
  ...ENVELOPE_COLUMNS.map((c) => c.name),
  RAW_PAYLOAD_COLUMN.name,
]);

/** The column type of a scalar field. */
export function scalarColumnType(scalar: ScalarType): ColumnType {
  switch (scalar) {
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
      // uint32 does not fit INTEGER; 64-bit integers are BIGINT (uint64 above 2^63 is rejected).
      return "BIGINT";
  }
}

/**
 * The lake column of one payload field: named after the field (`reserved` names get a
 * `payload_` prefix); scalars get their SQL type, enums VARCHAR (the value's name),
 * `google.protobuf.Timestamp` TIMESTAMPTZ, and lists, maps and other messages JSON (query
 * them with DuckDB's JSON functions or a transform).
 */
export function payloadFieldColumn(
  field: DescField,
  reserved: ReadonlySet<string> = RESERVED_COLUMN_NAMES,
): ColumnSpec {
  const name = reserved.has(field.name) ? `payload_${field.name}` : field.name;
  switch (field.fieldKind) {
    case "scalar":
      return { name, type: scalarColumnType(field.scalar) };
    case "enum":
      return { name, type: "VARCHAR" };
    case "message":
      return { name, type: field.message.typeName === "google.protobuf.Timestamp" ? "TIMESTAMPTZ" : "JSON" };
    default:
      return { name, type: "JSON" };
  }
}

/** The payload columns of a message type, one per field in declaration order. */
export function payloadColumnSpecs(
  payload: DescMessage,
  reserved: ReadonlySet<string> = RESERVED_COLUMN_NAMES,
): ColumnSpec[] {
  return payload.fields.map((field) => payloadFieldColumn(field, reserved));
}

/**
 * The columns the lake writer gives an event table of this payload type: the envelope's,
 * one per payload field, then the raw payload ({@link RAW_PAYLOAD_COLUMN}).
 */
export function eventTableColumns(payload: DescMessage): ColumnSpec[] {
  return [...ENVELOPE_COLUMNS, ...payloadColumnSpecs(payload), RAW_PAYLOAD_COLUMN];
}
