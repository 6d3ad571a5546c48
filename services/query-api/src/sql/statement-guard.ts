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
 * - every table function is allowed (see above), however its name is quoted or qualified;
 * - no `SHOW <name>` (DESCRIBE/SUMMARIZE of a query are checked like the query), no scalar
 *   function that reads the server's settings or environment (`current_setting`, `getenv`),
 *   and none that builds one value of a size it is given (`range(n)` as a list, `repeat`, …).
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
    throw new StatementRejectedError(
      "syntax",
      `the statement cannot be parsed: ${message}${locationText(sql, Number(serialized.position))}`,
    );
  }
  if ((serialized.statements?.length ?? 0) !== 1)
    throw new StatementRejectedError("several_statements", "send exactly one statement");
  inspect(serialized.statements, new Set());
  // A second, independent check: DuckDB's own classification of the prepared statement.
  const prepared = await connection.prepare(sql).catch((err: unknown) => {
    throw withLocation(err, sql);
  });
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
  /** Character offset of a parse error, as a string. */
  readonly position?: string;
  readonly statements?: unknown[];
}

type Node = Record<string, unknown>;

/**
 * Walks the serialized tree with the CTE names in scope where DuckDB's binder resolves them:
 * a CTE's own definition sees only the CTEs declared before it (and itself only as the
 * recursive part of a `WITH RECURSIVE … UNION`), the statement's body sees them all. Anything
 * looser would let `WITH x AS (FROM '/some/file'), "/some/file" AS (…)` read the file: DuckDB
 * binds that inner reference to the file, not to the later CTE of the same name.
 */
function inspect(node: unknown, ctes: ReadonlySet<string>): void {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const child of node) inspect(child, ctes);
    return;
  }
  const n = node as Node;
  let scope = ctes;
  const cteMap = (n.cte_map as { map?: { key: string; value?: unknown }[] } | undefined)?.map ?? [];
  for (const entry of cteMap) {
    inspect(entry.value, scope);
    scope = new Set([...scope, entry.key.toLowerCase()]);
  }
  if (n.type === "RECURSIVE_CTE_NODE" && typeof n.cte_name === "string")
    scope = new Set([...scope, n.cte_name.toLowerCase()]);
  if (n.type === "BASE_TABLE") checkTable(n, scope);
  if (n.type === "TABLE_FUNCTION") {
    const fn = n.function as Node | undefined;
    checkTableFunction(fn);
    // The call itself is a table function (`range` streams there); its arguments are checked
    // like any other expression.
    inspect(fn?.children, scope);
    for (const [key, value] of Object.entries(n)) if (key !== "function") inspect(value, scope);
    return;
  }
  if (n.type === "SHOW_REF" && (n.query === null || n.query === undefined))
    throw new StatementRejectedError(
      "show",
      `SHOW ${String(n.table_name ?? "")} is not allowed: ListTables and DescribeTable describe the lake`,
    );
  if (n.class === "FUNCTION") checkScalarFunction(n);
  for (const [key, value] of Object.entries(n)) if (key !== "cte_map") inspect(value, scope);
}

/**
 * Scalar functions that read the server's configuration or environment (paths of the lake and
 * the temp folder, limits, secrets settings). Locked settings cannot be changed, so reading
 * them loosens nothing, but they tell a caller about the host and serve no query of the lake.
 */
const SETTINGS_FUNCTIONS = new Set(["current_setting", "getenv"]);
/**
 * Scalar functions that build one value as large as a number they are given: `range(1e10)` as
 * a list, `repeat('x', 1e10)`, padding to a huge width. DuckDB allocates such a value outside
 * its buffer manager, so `memory_limit` does not stop it and the process (or the host) runs out
 * of memory before the time limit can interrupt it. The table functions `range` and
 * `generate_series` stream in bounded chunks and stay allowed.
 */
const AMPLIFYING_FUNCTIONS = new Set([
  "range",
  "generate_series",
  "repeat",
  "lpad",
  "rpad",
  "list_resize",
  "array_resize",
]);

function checkScalarFunction(n: Node): void {
  const name = String(n.function_name ?? "").toLowerCase();
  if (SETTINGS_FUNCTIONS.has(name))
    throw new StatementRejectedError(
      "scalar_function",
      `function ${JSON.stringify(name)} is not allowed: it reads the server's configuration, not the lake`,
    );
  if (AMPLIFYING_FUNCTIONS.has(name))
    throw new StatementRejectedError(
      "scalar_function",
      `function ${JSON.stringify(name)} is not allowed as a scalar: one value of unbounded size escapes the memory limit (FROM range(…) streams and is allowed)`,
    );
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

/**
 * " at line L, column C" (1-based) of a character offset in `sql`, "" when there is none: the
 * web console marks that place in its editor.
 */
function locationText(sql: string, offset: number): string {
  if (!Number.isInteger(offset) || offset < 0 || offset > sql.length) return "";
  const before = sql.slice(0, offset);
  const line = before.split("\n").length;
  return ` at line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

/**
 * DuckDB's error with the place it points at moved onto its first line (" at line L, column
 * C"): the message shows the statement's line with a caret under the place ("LINE 3: …" and
 * "^" on the next line), and only the first line of a message reaches the caller. DuckDB may
 * shorten a long line to a window around the place ("..." at its ends); the window is found
 * in the statement's line.
 */
export function withLocation(err: unknown, sql: string): unknown {
  if (!(err instanceof Error)) return err;
  const context = /\nLINE (\d+): ([^\n]*)\n( *)\^/.exec(err.message);
  if (context === null) return err;
  const line = Number(context[1]);
  const shown = context[2] ?? "";
  const caret = (context[3]?.length ?? 0) - `LINE ${context[1]}: `.length;
  const trimmed = shown.replace(/^\.\.\./, "");
  const window = trimmed.replace(/\.\.\.$/, "");
  const at = sql.split("\n")[line - 1]?.indexOf(window) ?? -1;
  const column = Math.max(at, 0) + caret - (shown.length - trimmed.length) + 1;
  const [first, ...rest] = err.message.split("\n");
  const located = new Error([`${first} at line ${line}, column ${column}`, ...rest].join("\n"), {
    cause: err,
  });
  return located;
}
