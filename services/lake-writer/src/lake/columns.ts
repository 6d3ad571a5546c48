import type { DuckDBType } from "@duckdb/node-api";
import { BIGINT, BLOB, BOOLEAN, DOUBLE, INTEGER, TIMESTAMPTZ, VARCHAR } from "@duckdb/node-api";
import type { ColumnType } from "@langtian/contracts";

// The column types and specs are the contracts' (shared with the web UI's Schemas page).
export { COLUMN_TYPES, type ColumnSpec, type ColumnType } from "@langtian/contracts";

/**
 * A cell as the writer carries it: TIMESTAMPTZ as microseconds since the epoch (bigint),
 * BLOB as bytes, JSON as its text.
 */
export type CellValue = string | number | bigint | boolean | Uint8Array | null;

/**
 * The DuckDB type a column is staged with in memory. JSON is staged as VARCHAR (the
 * lake column is JSON; `INSERT … SELECT` casts) because the node API has no JSON type object.
 */
export function stagingType(type: ColumnType): DuckDBType {
  switch (type) {
    case "VARCHAR":
    case "JSON":
      return VARCHAR;
    case "BIGINT":
      return BIGINT;
    case "INTEGER":
      return INTEGER;
    case "DOUBLE":
      return DOUBLE;
    case "BOOLEAN":
      return BOOLEAN;
    case "TIMESTAMPTZ":
      return TIMESTAMPTZ;
    case "BLOB":
      return BLOB;
  }
}

/** SQL type name of a staged column (see {@link stagingType}). */
export function stagingTypeName(type: ColumnType): string {
  return type === "JSON" ? "VARCHAR" : type;
}
