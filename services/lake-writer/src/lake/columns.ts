import type { DuckDBType } from "@duckdb/node-api";
import { BIGINT, BLOB, BOOLEAN, DOUBLE, INTEGER, TIMESTAMPTZ, VARCHAR } from "@duckdb/node-api";

/** Column types the writer produces. */
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
