import type { Message } from "@bufbuild/protobuf";
import { type DescField, type DescMessage, type JsonObject, toJson } from "@bufbuild/protobuf";
import { payloadFieldColumn } from "@langtian/contracts";
import type { CellValue, ColumnSpec } from "../lake/columns.ts";

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
 * The lake columns of a protobuf payload type, one per field, and how to fill them. Which
 * column a field becomes (name and type) is the contracts' `payloadFieldColumn`, shared with
 * the web UI; this adds the cells: enums as their value name, Timestamps as microseconds,
 * JSON columns from the message's JSON form. `reserved` names get a `payload_` prefix.
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
  const column = payloadFieldColumn(field, reserved);
  const get = (message: Record<string, unknown>): unknown => {
    if (field.oneof) {
      const group = message[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
      return group?.case === field.localName ? group.value : undefined;
    }
    return message[field.localName];
  };
  switch (field.fieldKind) {
    case "scalar":
      return {
        column,
        read: (message) => {
          const value = get(message);
          if (value === undefined || value === null) return null;
          if (column.type === "BIGINT") {
            const big = BigInt(value as bigint | number | string);
            if (big > MAX_BIGINT) throw new RangeError(`${field.name} = ${big} does not fit a BIGINT column`);
            return big;
          }
          return value as CellValue;
        },
      };
    case "enum":
      return {
        column,
        read: (message) => {
          const value = get(message);
          if (value === undefined) return null;
          return field.enum.values.find((v) => v.number === value)?.name ?? String(value);
        },
      };
    default:
      if (column.type === "TIMESTAMPTZ") {
        return {
          column,
          read: (message) => timestampMicros(get(message) as { seconds: bigint; nanos: number } | undefined),
        };
      }
      return {
        column,
        read: (_message, json) => {
          const value = json()[field.jsonName];
          return value === undefined ? null : JSON.stringify(value);
        },
      };
  }
}

/** Microseconds since the epoch of a protobuf Timestamp, or null. */
export function timestampMicros(ts: { seconds: bigint; nanos: number } | undefined): bigint | null {
  if (!ts) return null;
  return ts.seconds * 1_000_000n + BigInt(Math.trunc(ts.nanos / 1000));
}
