/**
 * `loadConfig`: merges defaults, an optional config file and environment variables into a
 * deeply frozen, typed object, or throws one `ConfigError` listing every problem.
 * Precedence: env > file > default. No `NODE_ENV` branching: the same inputs give the same result.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import type { ConfigSchema, Field, InferConfig, Shape } from "./config-schema.ts";
import { describeConfig, FieldKind, isField } from "./config-schema.ts";
import type { ConfigIssue } from "./errors.ts";
import { ConfigError } from "./errors.ts";

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A config file: a path to a JSON or YAML file, or an already parsed object. */
export type ConfigFile = string | Readonly<Record<string, unknown>>;

/** Env var (after the service prefix) that `configFileFromEnv` reads, e.g. `LANGTIAN_BRIDGE_CONFIG_FILE`. */
export const CONFIG_FILE_ENV_SUFFIX = "CONFIG_FILE";

const REDACTED = "[redacted]";

/**
 * Loads configuration for `schema` from `env` and an optional `file`.
 *
 * - Env var names follow `LANGTIAN_<SERVICE>_<PATH>` (see `defineConfigSchema`); empty values count as unset.
 * - Env vars carrying the service prefix that match no field are reported (they are typos),
 *   except `<PREFIX>CONFIG_FILE`.
 * - Keys in the file that match no field are reported too.
 * - Secret fields' values never appear in the error.
 * - `crossChecks` adds the rules that span several fields (e.g. "an s3:// path needs
 *   credentials"); it runs once every field is valid on its own, and its issues are reported
 *   like the others.
 *
 * @throws ConfigError listing every problem at once.
 */
export function loadConfig<S extends Shape>(
  schema: ConfigSchema<S>,
  env: Env,
  file?: ConfigFile,
  crossChecks?: (config: InferConfig<S>) => ConfigIssue[],
): InferConfig<S> {
  const issues: ConfigIssue[] = [];
  const fileData = file === undefined ? {} : readConfigFile(file, issues);
  const fields = describeConfig(schema);
  const result: Record<string, unknown> = {};

  for (const info of fields) {
    const { field, segments, path } = info;
    const envRaw = env[info.env];
    let value: unknown;
    if (envRaw !== undefined && envRaw !== "") {
      value = fromEnv(field, envRaw, path, `env ${info.env}`, issues);
    } else {
      const fromFile = getPath(fileData, segments);
      if (fromFile !== undefined && fromFile !== null) {
        value = check(field, fromFile, path, "file", issues);
      } else if (field.default !== undefined) {
        value = check(field, field.default, path, "default", issues);
      } else if (field.optional !== true) {
        issues.push({ path, source: "missing", expected: expectation(field), got: "nothing" });
      }
    }
    setPath(result, segments, value);
  }

  const known = new Set(fields.map((f) => f.env));
  for (const name of Object.keys(env).sort()) {
    if (
      name.startsWith(schema.envPrefix) &&
      !known.has(name) &&
      name !== schema.envPrefix + CONFIG_FILE_ENV_SUFFIX
    ) {
      issues.push({
        path: name,
        source: "env",
        expected: "no unknown variables with this prefix",
        got: "a value",
      });
    }
  }
  reportUnknownKeys(schema.fields, fileData, [], issues);

  if (issues.length === 0 && crossChecks) issues.push(...crossChecks(result as InferConfig<S>));
  if (issues.length > 0) throw new ConfigError(schema.service, issues);
  return deepFreeze(result) as InferConfig<S>;
}

/** The config file path named by `LANGTIAN_<SERVICE>_CONFIG_FILE`, if set (for `main.ts`). */
export function configFileFromEnv(schema: ConfigSchema, env: Env): string | undefined {
  const value = env[schema.envPrefix + CONFIG_FILE_ENV_SUFFIX];
  return value === undefined || value === "" ? undefined : value;
}

/** A copy of `config` with every secret field replaced by `[redacted]`, safe to log. */
export function redactConfig<S extends Shape>(schema: ConfigSchema<S>, config: InferConfig<S>): unknown {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const info of describeConfig(schema)) {
    if (info.field.secret === true && getPath(copy, info.segments) !== undefined) {
      setPath(copy, info.segments, REDACTED);
    }
  }
  return copy;
}

function readConfigFile(file: ConfigFile, issues: ConfigIssue[]): Record<string, unknown> {
  if (typeof file !== "string") return file as Record<string, unknown>;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    issues.push({ path: "(file)", source: `file ${file}`, expected: "a readable file", got: reason });
    return {};
  }
  try {
    // YAML is a superset of JSON, but JSON.parse gives clearer errors for .json files.
    const parsed: unknown = extname(file).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== "object" || Array.isArray(parsed)) {
      issues.push({
        path: "(file)",
        source: `file ${file}`,
        expected: "a mapping at the top level",
        got: typeName(parsed),
      });
      return {};
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    // Parser messages can quote the file's text, which may hold secrets: keep only the position.
    const message = err instanceof Error ? err.message : "";
    const where = /line \d+,? column \d+|position \d+/.exec(message)?.[0];
    const got = where === undefined ? "a syntax error" : `a syntax error at ${where}`;
    issues.push({ path: "(file)", source: `file ${file}`, expected: "valid JSON or YAML", got });
    return {};
  }
}

function fromEnv(
  field: Field<unknown>,
  raw: string,
  path: string,
  source: string,
  issues: ConfigIssue[],
): unknown {
  const bad = (): undefined => {
    issues.push({ path, source, expected: expectation(field), got: shown(field, raw) });
    return undefined;
  };
  switch (field.kind) {
    case FieldKind.integer:
    case FieldKind.number: {
      const n = raw.trim() === "" ? Number.NaN : Number(raw);
      return Number.isNaN(n) ? bad() : check(field, n, path, source, issues);
    }
    case FieldKind.boolean: {
      const v = raw.trim().toLowerCase();
      if (["true", "1", "yes", "on"].includes(v)) return true;
      if (["false", "0", "no", "off"].includes(v)) return false;
      return bad();
    }
    case FieldKind.list:
      return check(
        field,
        raw
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== ""),
        path,
        source,
        issues,
      );
    default:
      return check(field, raw, path, source, issues);
  }
}

/** Validates a typed value against its field; pushes an issue and returns undefined when wrong. */
function check(
  field: Field<unknown>,
  value: unknown,
  path: string,
  source: string,
  issues: ConfigIssue[],
): unknown {
  if (isValid(field, value)) return Array.isArray(value) ? [...value] : value;
  issues.push({ path, source, expected: expectation(field), got: shown(field, value) });
  return undefined;
}

function isValid(field: Field<unknown>, value: unknown): boolean {
  switch (field.kind) {
    case FieldKind.string: {
      if (typeof value !== "string") return false;
      if (field.minLength !== undefined && value.length < field.minLength) return false;
      if (
        field.pattern !== undefined &&
        !new RegExp(`^(?:${field.pattern.source})$`, field.pattern.flags).test(value)
      ) {
        return false;
      }
      return field.url !== true || URL.canParse(value);
    }
    case FieldKind.integer:
    case FieldKind.number: {
      if (typeof value !== "number" || !Number.isFinite(value)) return false;
      if (field.kind === FieldKind.integer && !Number.isInteger(value)) return false;
      if (field.min !== undefined && value < field.min) return false;
      return field.max === undefined || value <= field.max;
    }
    case FieldKind.boolean:
      return typeof value === "boolean";
    case FieldKind.enum:
      return typeof value === "string" && (field.values ?? []).includes(value);
    case FieldKind.list:
      return (
        Array.isArray(value) &&
        value.every((v) => typeof v === "string") &&
        (field.minLength === undefined || value.length >= field.minLength)
      );
    default:
      return false;
  }
}

/** Human description of what a field accepts, e.g. `integer between 0 and 65535`. */
function expectation(field: Field<unknown>): string {
  const range = (): string => {
    if (field.min !== undefined && field.max !== undefined) return ` between ${field.min} and ${field.max}`;
    if (field.min !== undefined) return ` >= ${field.min}`;
    if (field.max !== undefined) return ` <= ${field.max}`;
    return "";
  };
  switch (field.kind) {
    case FieldKind.string: {
      const parts = [field.url === true ? "an absolute URL" : "a string"];
      if (field.minLength !== undefined) parts.push(`of at least ${field.minLength} characters`);
      if (field.pattern !== undefined) parts.push(`matching /${field.pattern.source}/`);
      return parts.join(" ");
    }
    case FieldKind.integer:
      return `an integer${range()}`;
    case FieldKind.number:
      return `a number${range()}`;
    case FieldKind.boolean:
      return "a boolean (true/false, 1/0, yes/no, on/off)";
    case FieldKind.enum:
      return `one of ${(field.values ?? []).map((v) => JSON.stringify(v)).join(", ")}`;
    case FieldKind.list:
      return `a list of strings${field.minLength !== undefined ? ` with at least ${field.minLength} items` : ""}`;
    default:
      return field.kind;
  }
}

/** How a wrong value is shown in an error: quoted and shortened, or `[redacted]` for secrets. */
function shown(field: Field<unknown>, value: unknown): string {
  if (field.secret === true) return `${REDACTED} ${typeName(value)}`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function reportUnknownKeys(shape: Shape, data: unknown, segments: string[], issues: ConfigIssue[]): void {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return;
  for (const [key, value] of Object.entries(data)) {
    const node = shape[key];
    const path = [...segments, key].join(".");
    if (node === undefined) {
      issues.push({ path, source: "file", expected: "no unknown keys", got: "an unknown key" });
    } else if (!isField(node)) {
      if (value !== null && (typeof value !== "object" || Array.isArray(value))) {
        issues.push({ path, source: "file", expected: "a mapping", got: typeName(value) });
      } else {
        reportUnknownKeys(node, value, [...segments, key], issues);
      }
    }
  }
}

function getPath(data: unknown, segments: readonly string[]): unknown {
  let node: unknown = data;
  for (const s of segments) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
    if (!Object.hasOwn(node, s)) return undefined;
    node = (node as Record<string, unknown>)[s];
  }
  return node;
}

function setPath(target: Record<string, unknown>, segments: readonly string[], value: unknown): void {
  let node = target;
  for (const s of segments.slice(0, -1)) {
    const next = node[s];
    if (next === undefined || next === null || typeof next !== "object") node[s] = {};
    node = node[s] as Record<string, unknown>;
  }
  const last = segments.at(-1);
  if (last !== undefined) node[last] = value;
}

/** Freezes an object graph so config cannot be changed after startup. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
