/**
 * A tiny configuration schema: typed field builders, nesting with plain objects, and the
 * environment-variable naming convention. Hand-rolled (rather than a general validation
 * library) because config needs three things those do not give directly: env-var names
 * derived from the schema, string coercion of env values, and secret fields that never
 * appear in errors or logs.
 */

/** Kinds of configuration field. */
export const FieldKind = {
  string: "string",
  integer: "integer",
  number: "number",
  boolean: "boolean",
  enum: "enum",
  list: "list",
} as const;
/** One of `FieldKind`'s values. */
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

/** Options shared by every field. */
export interface FieldOptions<T> {
  /** Value used when neither env nor file sets one. A field with a default is always present. */
  readonly default?: T;
  /** When true and no default is given, the value may be `undefined`. */
  readonly optional?: boolean;
  /** Secret values are never printed: errors say `[redacted]`, logs redact the path. */
  readonly secret?: boolean;
  /** One line for operators: what the field does, with its unit. */
  readonly description?: string;
  /** Overrides the derived env-var name (full name, prefix included). */
  readonly env?: string;
}

/** A schema field. `T` is the value type; `Present` is false when the value may be undefined. */
export interface Field<T, Present extends boolean = boolean> extends FieldOptions<T> {
  readonly kind: FieldKind;
  /** Phantom marker so TypeScript can infer the value type; never set at run time. */
  readonly __type?: T;
  /** Phantom marker: whether the loaded value is always present. */
  readonly __present?: Present;
  readonly min?: number;
  readonly max?: number;
  readonly minLength?: number;
  readonly pattern?: RegExp;
  readonly url?: boolean;
  readonly values?: readonly string[];
}

/** A nested group of fields (a plain object whose leaves are `Field`s). */
export interface Shape {
  readonly [key: string]: Field<unknown> | Shape;
}

type PresentFor<O> = O extends { default: unknown } ? true : O extends { optional: true } ? false : true;

/** The loaded, typed configuration for a shape. Every level is readonly (and frozen at run time). */
export type InferConfig<S> =
  S extends ConfigSchema<infer Inner>
    ? InferConfig<Inner>
    : {
        readonly [K in keyof S]: S[K] extends Field<infer T, infer P>
          ? P extends true
            ? T
            : T | undefined
          : InferConfig<S[K]>;
      };

/** A complete schema: the service name (which fixes the env prefix) plus its fields. */
export interface ConfigSchema<S extends Shape = Shape> {
  /** Service name, e.g. `lake-writer`. */
  readonly service: string;
  /** Env-var prefix derived from the name: `LANGTIAN_LAKE_WRITER_`. */
  readonly envPrefix: string;
  /** The fields. */
  readonly fields: S;
}

/** Converts `camelCase`/`kebab-case` to `UPPER_SNAKE` for env-var names. */
export function toEnvSegment(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toUpperCase();
}

/**
 * Defines a service's configuration schema. Env vars are named
 * `LANGTIAN_<SERVICE>_<PATH>`: path segments in UPPER_SNAKE joined by `_`, so field
 * `nats.flushIntervalMs` of service `lake-writer` is `LANGTIAN_LAKE_WRITER_NATS_FLUSH_INTERVAL_MS`.
 */
export function defineConfigSchema<S extends Shape>(service: string, fields: S): ConfigSchema<S> {
  return { service, envPrefix: `LANGTIAN_${toEnvSegment(service)}_`, fields };
}

/** Returns whether a schema node is a field (as opposed to a nested shape). */
export function isField(node: Field<unknown> | Shape): node is Field<unknown> {
  // A nested shape may have a key called "kind", but its value is then an object, never a string.
  return typeof (node as Field<unknown>).kind === "string";
}

/** A string field. `url: true` requires an absolute URL; `pattern` a full match. */
export function string<
  const O extends FieldOptions<string> & { minLength?: number; pattern?: RegExp; url?: boolean },
>(options?: O): Field<string, PresentFor<O>> {
  return { kind: FieldKind.string, ...options };
}

/** An integer field (env strings like `"30000"` are parsed). */
export function integer<const O extends FieldOptions<number> & { min?: number; max?: number }>(
  options?: O,
): Field<number, PresentFor<O>> {
  return { kind: FieldKind.integer, ...options };
}

/** A finite number field. */
export function number<const O extends FieldOptions<number> & { min?: number; max?: number }>(
  options?: O,
): Field<number, PresentFor<O>> {
  return { kind: FieldKind.number, ...options };
}

/** A boolean field; env accepts `true/false`, `1/0`, `yes/no`, `on/off` (any case). */
export function boolean<const O extends FieldOptions<boolean>>(options?: O): Field<boolean, PresentFor<O>> {
  return { kind: FieldKind.boolean, ...options };
}

/** One of a fixed set of strings. */
export function oneOf<
  const V extends readonly [string, ...string[]],
  const O extends FieldOptions<V[number]>,
>(values: V, options?: O): Field<V[number], PresentFor<O>> {
  return { kind: FieldKind.enum, values, ...options };
}

/** A list of strings: a JSON/YAML array in the file, comma-separated in env (blanks dropped). */
export function stringList<const O extends FieldOptions<readonly string[]> & { minLength?: number }>(
  options?: O,
): Field<readonly string[], PresentFor<O>> {
  return { kind: FieldKind.list, ...options };
}

/** One field with its dotted path and env-var name, as `describeConfig` lists them. */
export interface FieldInfo {
  readonly path: string;
  readonly segments: readonly string[];
  readonly env: string;
  readonly field: Field<unknown>;
}

/** Lists every field of a schema with its dotted path and env-var name, in schema order. */
export function describeConfig(schema: ConfigSchema): FieldInfo[] {
  const out: FieldInfo[] = [];
  const walk = (shape: Shape, segments: string[]): void => {
    for (const [key, node] of Object.entries(shape)) {
      const path = [...segments, key];
      if (isField(node)) {
        const env = node.env ?? schema.envPrefix + path.map(toEnvSegment).join("_");
        out.push({ path: path.join("."), segments: path, env, field: node });
      } else {
        walk(node, path);
      }
    }
  };
  walk(schema.fields, []);
  return out;
}

/** Dotted paths of every secret field (for logger redaction). */
export function secretPaths(schema: ConfigSchema): string[] {
  return describeConfig(schema)
    .filter((f) => f.field.secret === true)
    .map((f) => f.path);
}
