import type { DuckDBConnection, DuckDBType, DuckDBValue } from "@duckdb/node-api";
import type { ExportRequest } from "@langtian/proto";
import {
  BadRequestError,
  columnsAt,
  isEventTable,
  requireTable,
  resolveSnapshot,
  tableAt,
} from "../lake/lake-catalog.ts";
import { whereOf } from "../rpc/event-filter.ts";
import { parameterOf } from "../sql/cells.ts";
import { checkReadOnlyStatement } from "../sql/statement-guard.ts";

/** The statement an export runs, with its bound parameters and its result's columns. */
export interface ExportQuery {
  /** One SELECT, without a trailing semicolon (it is wrapped in `COPY (…)` or a projection). */
  readonly sql: string;
  readonly params: Record<string, DuckDBValue>;
  readonly columnNames: readonly string[];
  readonly columnTypes: readonly DuckDBType[];
}

/**
 * The query behind an export: for a browse source, every event the filter selects in
 * (event_timestamp, event_id) order at the `at` snapshot (or the latest); for a SQL source,
 * the statement once the guard admitted it, with exactly the parameters it names. No row limit.
 */
export async function exportQueryOf(c: DuckDBConnection, request: ExportRequest): Promise<ExportQuery> {
  switch (request.source.case) {
    case "browse": {
      const filter = request.source.value;
      const snapshot = await resolveSnapshot(c, request.at);
      await requireTable(c, filter.table, snapshot);
      const columns = await columnsAt(c, filter.table, snapshot);
      if (!isEventTable(columns))
        throw new BadRequestError(`table ${filter.table} is not an event table: export it with a SQL source`);
      const where = whereOf(filter, columns);
      const sql = `SELECT * FROM ${tableAt(filter.table, snapshot)} WHERE ${where.sql} ORDER BY event_timestamp, event_id`;
      return describe(c, sql, where.params);
    }
    case "sql": {
      if (request.at !== undefined)
        throw new BadRequestError(
          "at applies to a browse source; a SQL source says AT (VERSION => …) itself",
        );
      const { sql, params } = request.source.value;
      await checkReadOnlyStatement(c, sql);
      const values: Record<string, DuckDBValue> = {};
      for (const [name, value] of Object.entries(params)) values[name] = parameterOf(value);
      return describe(c, withoutTrailingSemicolon(sql), values);
    }
    default:
      throw new BadRequestError("give a source: browse (an event filter) or sql");
  }
}

/**
 * Checks the statement's parameters against those given, then learns its result columns by
 * running it bound under `LIMIT 0` (DuckDB plans no scan for it): a prepared statement whose
 * result types depend on a parameter (`range($n)`) does not know them before it is bound.
 */
async function describe(
  c: DuckDBConnection,
  sql: string,
  params: Record<string, DuckDBValue>,
): Promise<ExportQuery> {
  const prepared = await c.prepare(sql);
  try {
    const names = new Set<string>();
    for (let i = 1; i <= prepared.parameterCount; i++) names.add(prepared.parameterName(i));
    const missing = [...names].filter((n) => !(n in params));
    const unknown = Object.keys(params).filter((n) => !names.has(n));
    if (missing.length > 0 || unknown.length > 0)
      throw new BadRequestError(
        [
          missing.length > 0 ? `missing parameter(s) ${missing.map((n) => `$${n}`).join(", ")}` : "",
          unknown.length > 0 ? `unknown parameter(s) ${unknown.join(", ")}` : "",
        ]
          .filter((s) => s !== "")
          .join("; "),
      );
  } finally {
    prepared.destroySync();
  }
  const probe = await c.prepare(`SELECT * FROM (\n${sql}\n) LIMIT 0`);
  try {
    if (Object.keys(params).length > 0) probe.bind(params);
    const result = await probe.run();
    return { sql, params, columnNames: result.columnNames(), columnTypes: result.columnTypes() };
  } finally {
    probe.destroySync();
  }
}

/** `SELECT 1;` → `SELECT 1`: the statement is embedded in another one. */
function withoutTrailingSemicolon(sql: string): string {
  return sql.replace(/[\s;]+$/, "");
}
