import type { DuckDBConnection } from "@duckdb/node-api";
import { StatementType } from "@duckdb/node-api";
import { ErrorCode, LangtianError } from "@langtian/errors";
import { LAKE, quoteString } from "@langtian/lake";

/** A statement the query API does not run: not one plain read of the lake. */
export class StatementRejectedError extends LangtianError {
  override readonly name = "StatementRejectedError";
  override readonly code = ErrorCode.invalidArgument;
  /** Short reason for the metrics label, e.g. `not_select`, `table_function`. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * Table functions a statement may call: row generators and the lake's own metadata
 * functions. Everything else — `read_csv`, `read_text`, `glob`, `parquet_metadata`,
 * `sniff_csv`, `query`, `duckdb_settings`, `duckdb_secrets`, … — is refused before it runs, on
 * top of the sandbox that would refuse their file access anyway.
 */
const ALLOWED_TABLE_FUNCTIONS = new Set(["range", "generate_series", "unnest"]);
/** DuckLake functions called as `lake.<name>(…)`. */
const ALLOWED_LAKE_FUNCTIONS = new Set([
  "snapshots",
  "table_info",
  "table_changes",
  "table_insertions",
  "table_deletions",
]);

/**
 * Checks that `sql` is exactly one read-only query of the lake, before anything runs:
 * - one statement, and one DuckDB can serialize as a SELECT (so no COPY, EXPORT, ATTACH,
 *   INSTALL, LOAD, SET, RESET, PRAGMA, CALL, CREATE, INSERT, …);
 * - every table it reads is a table of the lake (`lake.<table>`) or a CTE of the statement
 *   (so no `FROM '/etc/passwd'` replacement scans and no other catalog);
 * - every table function is allowed (see above), however its name is quoted.
 * Throws a {@link StatementRejectedError} naming what was refused.
 */
export async function checkReadOnlyStatement(connection: DuckDBConnection, sql: string): Promise<void> {
  if (sql.trim() === "") throw new StatementRejectedError("empty", "the statement is empty");
  const reader = await connection.runAndReadAll(`SELECT json_serialize_sql(${quoteString(sql)})`);
  const serialized = JSON.parse(String(reader.getRows()[0]?.[0])) as SerializedSql;
  if (serialized.error) {
    const message = serialized.error_message ?? "cannot be parsed";
    if (/Only SELECT statements/i.test(message))
      throw new StatementRejectedError(
        "not_select",
        "only a single SELECT (or WITH … SELECT, VALUES) may run",
      );
    throw new StatementRejectedError("syntax", `the statement cannot be parsed: ${message}`);
  }
  if ((serialized.statements?.length ?? 0) !== 1)
    throw new StatementRejectedError("several_statements", "send exactly one statement");
  inspect(serialized.statements, new Set());
  // A second, independent check: DuckDB's own classification of the prepared statement.
  const prepared = await connection.prepare(sql);
  try {
    if (prepared.statementType !== StatementType.SELECT)
      throw new StatementRejectedError("not_select", "only a single SELECT may run");
  } finally {
    prepared.destroySync();
  }
}

interface SerializedSql {
  readonly error: boolean;
  readonly error_message?: string;
  readonly statements?: unknown[];
}

type Node = Record<string, unknown>;

/** Walks the serialized tree; CTE names are in scope for the node that declares them and below. */
function inspect(node: unknown, ctes: ReadonlySet<string>): void {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const child of node) inspect(child, ctes);
    return;
  }
  const n = node as Node;
  let scope = ctes;
  const cteMap = (n.cte_map as { map?: { key: string }[] } | undefined)?.map;
  if (cteMap !== undefined && cteMap.length > 0) {
    scope = new Set([...ctes, ...cteMap.map((e) => e.key.toLowerCase())]);
  }
  if (n.type === "BASE_TABLE") checkTable(n, scope);
  if (n.type === "TABLE_FUNCTION") checkTableFunction(n.function as Node | undefined);
  for (const value of Object.values(n)) inspect(value, scope);
}

function checkTable(n: Node, ctes: ReadonlySet<string>): void {
  const catalog = String(n.catalog_name ?? "").toLowerCase();
  const schema = String(n.schema_name ?? "").toLowerCase();
  const table = String(n.table_name ?? "");
  if (catalog === LAKE || (catalog === "" && schema === LAKE)) return;
  if (catalog === "" && schema === "" && ctes.has(table.toLowerCase())) return;
  const name = [catalog, schema, table].filter((p) => p !== "").join(".");
  throw new StatementRejectedError(
    "outside_lake",
    `${JSON.stringify(name)} is not a table of the lake: read lake.<table> (ListTables lists them)`,
  );
}

function checkTableFunction(fn: Node | undefined): void {
  const name = String(fn?.function_name ?? "").toLowerCase();
  const catalog = String(fn?.catalog ?? "").toLowerCase();
  const schema = String(fn?.schema ?? "").toLowerCase();
  const inLake = catalog === LAKE || (catalog === "" && schema === LAKE);
  if (inLake && ALLOWED_LAKE_FUNCTIONS.has(name)) return;
  if (catalog === "" && schema === "" && ALLOWED_TABLE_FUNCTIONS.has(name)) return;
  throw new StatementRejectedError(
    "table_function",
    `table function ${JSON.stringify(name)} is not allowed (allowed: ${[...ALLOWED_TABLE_FUNCTIONS].join(", ")}, lake.${[...ALLOWED_LAKE_FUNCTIONS].join("(), lake.")}())`,
  );
}
