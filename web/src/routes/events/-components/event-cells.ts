import { type JsonValue, toJson } from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import type { Column, Row } from "@langtian/proto";

/** One event row as plain JSON values by column name. */
export type EventRecord = Readonly<Record<string, JsonValue>>;

/** Columns of the envelope (and the record's origin), in the order the lake writer writes them. */
export const ENVELOPE_COLUMNS = [
  "event_id",
  "event_type",
  "event_timestamp",
  "received_timestamp",
  "schema_version",
  "source_system",
  "partition_key",
  "payload_type",
  "attributes",
  "traceparent",
  "_source",
  "_partition",
  "_position",
] as const;

/** Shown unless the column chooser says otherwise: the envelope's technical columns are hidden. */
const HIDDEN_BY_DEFAULT = new Set([
  "received_timestamp",
  "schema_version",
  "payload_type",
  "attributes",
  "traceparent",
  "_source",
  "_partition",
  "_position",
  "payload",
]);

/** The default visible columns of a table: the key envelope columns first, then the payload. */
export function defaultColumns(columns: readonly string[]): string[] {
  const first = ["event_timestamp", "event_type", "source_system", "partition_key", "event_id"].filter((c) =>
    columns.includes(c),
  );
  const rest = columns.filter((c) => !first.includes(c) && !HIDDEN_BY_DEFAULT.has(c));
  return [...first, ...rest];
}

/** A cell as JSON (null for a null cell). */
export function cellJson(cell: Value | undefined): JsonValue {
  return cell === undefined ? null : toJson(ValueSchema, cell);
}

/** A row as a record by column name. */
export function recordOf(columns: readonly Column[], row: Row | undefined): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  columns.forEach((c, i) => {
    out[c.name] = cellJson(row?.cells[i]);
  });
  return out;
}

/** A value in one line for a grid cell: text as is, nested values as compact JSON, null as "". */
export function cellText(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** Whether a DuckDB type is a timestamp (shown in local time). */
export function isTimestampType(type: string): boolean {
  return type.startsWith("TIMESTAMP");
}

/** Bytes of a base64 string (BLOB cells), undefined when it is not base64. */
export function base64Bytes(value: string): Uint8Array | undefined {
  try {
    const binary = atob(value);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}
