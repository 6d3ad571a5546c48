import type { Message } from "@bufbuild/protobuf";
import { type DescField, type DescMessage, type JsonObject, ScalarType, toJson } from "@bufbuild/protobuf";
import type { CellValue, ColumnSpec, ColumnType } from "../lake/columns.ts";

/** How one payload field becomes one column. */
interface FieldColumn {
  column: ColumnSpec;
  read: (message: Record<string, unknown>, json: () => JsonObject) => CellValue;
}

/** The typed columns of a payload message type and how to fill them. */
export interface PayloadColumns {
  columns: readonly ColumnSpec[];
  /** Cells aligned with `columns`. */
  cells(message: Message): CellValue[];
}

const cache = new Map<string, PayloadColumns>();
const MAX_BIGINT = 2n ** 63n - 1n;

/**
 * Maps a protobuf payload type to lake columns, one per field: scalars to their SQL type,
 * enums to their value name, `google.protobuf.Timestamp` to TIMESTAMPTZ, and lists, maps
 * and other messages to JSON (query them with DuckDB's JSON functions or a transform).
 * Columns are named after the proto field; `reserved` names get a `payload_` prefix.
 */
export function payloadColumns(schema: DescMessage, reserved: ReadonlySet<string>): PayloadColumns {
  const cached = cache.get(schema.typeName);
  if (cached) return cached;
  const fields = schema.fields.map((field) => fieldColumn(field, reserved));
  const result: PayloadColumns = {
    columns: fields.map((f) => f.column),
    cells(message) {
      let json: JsonObject | undefined;
      const lazyJson = () => {
        json ??= toJson(schema, message, { alwaysEmitImplicit: true }) as JsonObject;
        return json;
      };
      return fields.map((f) => f.read(message as unknown as Record<string, unknown>, lazyJson));
    },
  };
  cache.set(schema.typeName, result);
  return result;
}

function fieldColumn(field: DescField, reserved: ReadonlySet<string>): FieldColumn {
  const name = reserved.has(field.name) ? `payload_${field.name}` : field.name;
  const get = (message: Record<string, unknown>): unknown => {
    if (field.oneof) {
      const group = message[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
      return group?.case === field.localName ? group.value : undefined;
    }
    return message[field.localName];
  };
  const asJson = (type: ColumnType = "JSON"): FieldColumn => ({
    column: { name, type },
    read: (_message, json) => {
      const value = json()[field.jsonName];
      return value === undefined ? null : JSON.stringify(value);
    },
  });
  switch (field.fieldKind) {
    case "scalar": {
      const type = scalarColumnType(field.scalar);
      return {
        column: { name, type },
        read: (message) => {
          const value = get(message);
          if (value === undefined || value === null) return null;
          if (type === "BIGINT") {
            const big = BigInt(value as bigint | number | string);
            if (big > MAX_BIGINT) throw new RangeError(`${field.name} = ${big} does not fit a BIGINT column`);
            return big;
          }
          return value as CellValue;
        },
      };
    }
    case "enum":
      return {
        column: { name, type: "VARCHAR" },
        read: (message) => {
          const value = get(message);
          if (value === undefined) return null;
          return field.enum.values.find((v) => v.number === value)?.name ?? String(value);
        },
      };
    case "message":
      if (field.message.typeName === "google.protobuf.Timestamp") {
        return {
          column: { name, type: "TIMESTAMPTZ" },
          read: (message) => timestampMicros(get(message) as { seconds: bigint; nanos: number } | undefined),
        };
      }
      return asJson();
    default:
      return asJson();
  }
}

function scalarColumnType(scalar: ScalarType): ColumnType {
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

/** Microseconds since the epoch of a protobuf Timestamp, or null. */
export function timestampMicros(ts: { seconds: bigint; nanos: number } | undefined): bigint | null {
  if (!ts) return null;
  return ts.seconds * 1_000_000n + BigInt(Math.trunc(ts.nanos / 1000));
}
