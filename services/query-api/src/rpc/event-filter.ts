import type { DuckDBValue } from "@duckdb/node-api";
import { quoteIdent } from "@langtian/lake";
import type { EventFilter } from "@langtian/proto";
import { BadRequestError, type TableColumn } from "../lake/lake-catalog.ts";
import { rfc3339OfTimestamp as isoOf, parameterOf } from "../sql/cells.ts";

/** A WHERE clause with its named parameters. */
export interface WhereClause {
  /** Conditions joined with AND; `true` when there are none. */
  readonly sql: string;
  readonly params: Record<string, DuckDBValue>;
}

/**
 * The conditions an {@link EventFilter} asks for, on columns checked to exist. Time bounds are
 * constants (`$from::TIMESTAMPTZ`), so DuckLake prunes files and row groups by their statistics.
 */
export function whereOf(filter: EventFilter, columns: readonly TableColumn[]): WhereClause {
  const names = new Set(columns.map((c) => c.name));
  const conditions: string[] = [];
  const params: Record<string, DuckDBValue> = {};
  const add = (column: string, op: string, value: DuckDBValue, cast = "") => {
    if (!names.has(column))
      throw new BadRequestError(`table ${filter.table} has no column ${JSON.stringify(column)}`);
    const name = `p${Object.keys(params).length}`;
    params[name] = value;
    conditions.push(`${quoteIdent(column)} ${op} $${name}${cast}`);
  };
  if (filter.from !== undefined) add("event_timestamp", ">=", isoOf(filter.from), "::TIMESTAMPTZ");
  if (filter.to !== undefined) add("event_timestamp", "<", isoOf(filter.to), "::TIMESTAMPTZ");
  if (filter.eventType !== undefined) add("event_type", "=", filter.eventType);
  if (filter.sourceSystem !== undefined) add("source_system", "=", filter.sourceSystem);
  if (filter.partitionKey !== undefined) add("partition_key", "=", filter.partitionKey);
  if (filter.eventId !== undefined) add("event_id", "=", filter.eventId);
  for (const c of filter.columns) {
    if (c.value === undefined || c.value.kind.case === undefined || c.value.kind.case === "nullValue") {
      if (!names.has(c.column))
        throw new BadRequestError(`table ${filter.table} has no column ${JSON.stringify(c.column)}`);
      conditions.push(`${quoteIdent(c.column)} IS NULL`);
      continue;
    }
    if (c.value.kind.case === "listValue" || c.value.kind.case === "structValue")
      throw new BadRequestError(`column ${c.column}: compare with a string, number or boolean`);
    add(c.column, "=", parameterOf(c.value));
  }
  return { sql: conditions.length === 0 ? "true" : conditions.join(" AND "), params };
}
