import type { DuckDBConnection } from "@duckdb/node-api";
import { LAKE, quoteIdent } from "@langtian/lake";
import type { ColumnSpec } from "../lake/columns.ts";
import { runInTransaction } from "../lake/lake-transaction.ts";

/** A column with any DuckDB SQL type (transform outputs are not limited to `ColumnType`). */
export interface SqlColumn {
  name: string;
  type: string;
}

/** How a lake table is laid out. */
export interface TableSpec<C extends SqlColumn = ColumnSpec> {
  /** Unqualified table name. */
  name: string;
  /** Lake schema; default `main`. */
  schema?: string;
  columns: readonly C[];
  /** TIMESTAMPTZ column whose day partitions the files (`event_timestamp` for events). */
  partitionByDayOf?: string;
}

/** Creates lake tables and adds new columns as payloads grow; remembers what it has seen. */
export interface TableManager {
  /**
   * Makes sure the table exists with at least these columns: creates it (partitioned by
   * day when asked) or runs `ALTER TABLE … ADD COLUMN` for the missing ones. Columns are
   * never dropped or retyped, so older rows stay readable.
   */
  ensure(spec: TableSpec<SqlColumn>): Promise<void>;
  /** Forgets the cache (after a failed commit the lake may differ from it). */
  reset(): void;
}

/** Fully qualified name of a table (default schema `main`). */
export function dataTable(name: string, schema = "main"): string {
  return `${LAKE}.${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Builds a {@link TableManager} that runs its DDL on `connection`, each change its own snapshot. */
export function createTableManager(connection: DuckDBConnection): TableManager {
  const known = new Map<string, Set<string>>();
  async function loadColumns(name: string, schema: string): Promise<Set<string> | undefined> {
    const reader = await connection.runAndReadAll(
      "SELECT column_name FROM duckdb_columns() WHERE database_name = $1 AND schema_name = $2 AND table_name = $3",
      [LAKE, schema, name],
    );
    const rows = reader.getRows();
    return rows.length === 0 ? undefined : new Set(rows.map((r) => String(r[0])));
  }
  return {
    async ensure(spec) {
      const schema = spec.schema ?? "main";
      const cacheKey = `${schema}.${spec.name}`;
      let columns = known.get(cacheKey);
      if (columns && spec.columns.every((c) => columns?.has(c.name))) return;
      columns = await loadColumns(spec.name, schema);
      const table = dataTable(spec.name, schema);
      if (!columns) {
        const defs = spec.columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ");
        await runInTransaction(
          connection,
          async () => {
            await connection.run(`CREATE TABLE IF NOT EXISTS ${table} (${defs})`);
            if (spec.partitionByDayOf) {
              const col = quoteIdent(spec.partitionByDayOf);
              await connection.run(
                `ALTER TABLE ${table} SET PARTITIONED BY (year(${col}), month(${col}), day(${col}))`,
              );
            }
          },
          { maxRetries: 10 },
        );
        columns = (await loadColumns(spec.name, schema)) ?? new Set();
      }
      for (const column of spec.columns) {
        if (columns.has(column.name)) continue;
        await runInTransaction(
          connection,
          () =>
            connection.run(
              `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${quoteIdent(column.name)} ${column.type}`,
            ),
          { maxRetries: 10 },
        );
        columns.add(column.name);
      }
      known.set(cacheKey, columns);
    },
    reset() {
      known.clear();
    },
  };
}
