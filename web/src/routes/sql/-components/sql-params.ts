import { create } from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "@bufbuild/protobuf/wkt";

/**
 * The named parameters (`$name`) of a statement, in order of first use. Quoted strings,
 * quoted identifiers and comments are skipped, so `'$5'` or `-- $x` ask for nothing.
 */
export function sqlParameterNames(sql: string): string[] {
  const code = sql
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/--[^\n]*/g, "")
    .replace(/\/\*[\s\S]*?\*\//g, "");
  const names: string[] = [];
  for (const match of code.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = match[1];
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * A parameter's text as the value sent: a number when it reads as one, `true`/`false`, `null`,
 * else the text (DuckDB casts it where the statement asks for another type, e.g. a timestamp).
 */
export function parameterValue(text: string): Value {
  const trimmed = text.trim();
  const n = Number(trimmed);
  // Integers past 2^53 (ids, nanoseconds) stay text: a double would change them.
  if (
    trimmed !== "" &&
    /^-?[\d.eE+-]+$/.test(trimmed) &&
    Number.isFinite(n) &&
    (!Number.isInteger(n) || Number.isSafeInteger(n))
  )
    return create(ValueSchema, { kind: { case: "numberValue", value: n } });
  if (trimmed === "true" || trimmed === "false")
    return create(ValueSchema, { kind: { case: "boolValue", value: trimmed === "true" } });
  if (trimmed.toLowerCase() === "null") return create(ValueSchema, { kind: { case: "nullValue", value: 0 } });
  return create(ValueSchema, { kind: { case: "stringValue", value: text } });
}

/** The request's `params` for the statement's parameters (every one, empty text where unset). */
export function sqlParams(sql: string, texts: Readonly<Record<string, string>>): Record<string, Value> {
  const params: Record<string, Value> = {};
  for (const name of sqlParameterNames(sql)) params[name] = parameterValue(texts[name] ?? "");
  return params;
}
