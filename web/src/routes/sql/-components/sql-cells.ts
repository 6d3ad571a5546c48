import { toJson } from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "@bufbuild/protobuf/wkt";

/** A cell as the grid shows it: JSON values (big numbers, times, decimals arrive as strings). */
export type Cell = string | number | boolean | null | readonly unknown[] | { readonly [k: string]: unknown };

/** A protobuf Value as plain JSON. */
export function cellOf(value: Value): Cell {
  switch (value.kind.case) {
    case "nullValue":
    case undefined:
      return null;
    case "stringValue":
    case "numberValue":
    case "boolValue":
      return value.kind.value;
    default:
      return toJson(ValueSchema, value) as Cell;
  }
}

/** A cell as text: lists and structs as JSON, null as "NULL". */
export function cellText(cell: Cell): string {
  if (cell === null) return "NULL";
  if (typeof cell === "object") return JSON.stringify(cell);
  return String(cell);
}
