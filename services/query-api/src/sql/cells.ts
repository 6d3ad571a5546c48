import { create, type JsonValue, toJson } from "@bufbuild/protobuf";
import { NullValue, type Timestamp, TimestampSchema, type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
} from "@duckdb/node-api";
import { type Column, ColumnSchema, type Row, RowSchema } from "@langtian/proto";

/** The result columns as the API describes them. */
export function columnsOf(names: readonly string[], types: readonly DuckDBType[]): Column[] {
  return names.map((name, i) => create(ColumnSchema, { name, type: typeName(types[i]) }));
}

/** A type as users write it: `JSON` rather than the VARCHAR it is stored as. */
function typeName(type: DuckDBType | undefined): string {
  return type?.alias ?? String(type);
}

/** Converts DuckDB rows (row-major) into API rows, by the columns' types. */
export function rowsOf(rows: readonly (readonly DuckDBValue[])[], types: readonly DuckDBType[]): Row[] {
  return rows.map((row) =>
    create(RowSchema, { cells: row.map((value, i) => toValue(jsonOf(value, types[i]))) }),
  );
}

/**
 * A DuckDB value as JSON without loss: integers beyond 2^53, DECIMALs, dates, times, intervals
 * and UUIDs as strings; timestamps as RFC 3339 UTC strings with microseconds; BLOBs base64;
 * JSON columns parsed; lists as arrays; structs as objects; maps as {key, value} arrays.
 */
export function jsonOf(value: DuckDBValue, type: DuckDBType | undefined): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean" || typeof value === "string") {
    if (typeof value === "string" && type?.alias === "JSON") return parseJson(value);
    return value;
  }
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return value.toString();
  if (value instanceof DuckDBTimestampTZValue || value instanceof DuckDBTimestampValue)
    return rfc3339FromMicros(value.micros);
  if (value instanceof DuckDBBlobValue) return Buffer.from(value.bytes).toString("base64");
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue)
    return value.items.map((item) => jsonOf(item, childType(type)));
  if (value instanceof DuckDBStructValue) {
    const out: Record<string, JsonValue> = {};
    for (const [key, entry] of Object.entries(value.entries)) out[key] = jsonOf(entry, undefined);
    return out;
  }
  if (value instanceof DuckDBMapValue)
    return value.entries.map((e) => ({ key: jsonOf(e.key, undefined), value: jsonOf(e.value, undefined) }));
  return String(value);
}

/** A protobuf Timestamp of a DuckDB timestamp value, to the microsecond; undefined for NULL or infinities. */
export function timestampOf(value: DuckDBValue): Timestamp | undefined {
  if (!(value instanceof DuckDBTimestampTZValue || value instanceof DuckDBTimestampValue)) return undefined;
  if (!value.isFinite) return undefined;
  const micros = value.micros;
  const floorSeconds = micros / 1_000_000n - (micros % 1_000_000n < 0n ? 1n : 0n);
  const nanos = Number(micros - floorSeconds * 1_000_000n) * 1000;
  return create(TimestampSchema, { seconds: floorSeconds, nanos });
}

/** RFC 3339 of a protobuf Timestamp, to the microsecond (DuckDB's precision). */
export function rfc3339OfTimestamp(t: { readonly seconds: bigint; readonly nanos: number }): string {
  return rfc3339FromMicros(t.seconds * 1_000_000n + BigInt(Math.floor(t.nanos / 1000)));
}

/** `2026-12-02T12:05:59.519240Z` from microseconds since the epoch; infinities by name. */
export function rfc3339FromMicros(micros: bigint): string {
  if (micros >= 9223372036854775806n) return "infinity";
  if (micros <= -9223372036854775806n) return "-infinity";
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const fraction = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 19)}.${fraction.toString().padStart(6, "0")}Z`;
}

function childType(type: DuckDBType | undefined): DuckDBType | undefined {
  if (type === undefined) return undefined;
  return type.typeId === DuckDBTypeId.LIST || type.typeId === DuckDBTypeId.ARRAY
    ? (type as unknown as { valueType: DuckDBType }).valueType
    : undefined;
}

function parseJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** A JSON value as a google.protobuf.Value message. */
export function toValue(json: JsonValue): Value {
  if (json === null) return create(ValueSchema, { kind: { case: "nullValue", value: NullValue.NULL_VALUE } });
  if (typeof json === "string") return create(ValueSchema, { kind: { case: "stringValue", value: json } });
  if (typeof json === "number") return create(ValueSchema, { kind: { case: "numberValue", value: json } });
  if (typeof json === "boolean") return create(ValueSchema, { kind: { case: "boolValue", value: json } });
  if (Array.isArray(json))
    return create(ValueSchema, { kind: { case: "listValue", value: { values: json.map(toValue) } } });
  const fields: Record<string, Value> = {};
  for (const [key, entry] of Object.entries(json)) fields[key] = toValue(entry);
  return create(ValueSchema, { kind: { case: "structValue", value: { fields } } });
}

/** A google.protobuf.Value as the JS value DuckDB binds as a parameter. */
export function parameterOf(value: Value | undefined): DuckDBValue {
  if (value === undefined) return null;
  switch (value.kind.case) {
    case "stringValue":
    case "numberValue":
    case "boolValue":
      return value.kind.value;
    case undefined:
    case "nullValue":
      return null;
    default:
      // Lists and structs bind as their JSON text (DuckDB casts it where the type asks).
      return JSON.stringify(toJson(ValueSchema, value));
  }
}
