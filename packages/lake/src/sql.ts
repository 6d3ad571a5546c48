/** Quotes a SQL identifier (table or column name) for DuckDB. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a SQL string literal for DuckDB. */
export function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
