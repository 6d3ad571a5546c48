/**
 * Parsers of typed URL search params, shared by every route's `validateSearch`: each keeps what
 * is valid and drops the rest, so a hand-edited or outdated link still opens. The router parses
 * JSON-looking values, so a text field may arrive as a number (`?key=42`) or a boolean.
 */

/** Reads one search param: its typed value, or undefined to leave it out of the search. */
export type SearchField<T> = (value: unknown) => T | undefined;

/** A parser for each field of the search type `S`. */
export type SearchFields<S> = { readonly [K in keyof S]-?: SearchField<Exclude<S[K], undefined>> };

/**
 * A route's `validateSearch` from one parser per field: the raw params in, only the fields
 * whose parser gave a value out (no `undefined` entries, so links stay short and typed).
 */
export function searchParser<S extends object>(fields: SearchFields<S>): (raw: Record<string, unknown>) => S {
  return (raw) => {
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(fields) as [string, SearchField<unknown>][]) {
      const value = field(raw[name]);
      if (value !== undefined) out[name] = value;
    }
    return out as S;
  };
}

/** The value as a string when it is text or a number/boolean the router parsed; else undefined. */
function asString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** Text, trimmed; blank = absent. */
export const text: SearchField<string> = (value) => {
  const trimmed = asString(value)?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
};

/**
 * Text kept as typed (a statement's layout, or a filter input bound to the URL whose spaces must
 * survive while typing); blank = absent.
 */
export const verbatimText: SearchField<string> = (value) => {
  const s = asString(value);
  return s === undefined || s.trim() === "" ? undefined : s;
};

/** A time (anything `Date.parse` reads) as RFC 3339 UTC; invalid = absent. */
export const time: SearchField<string> = (value) => {
  const t = text(value);
  if (t === undefined) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/** A list of texts (one value counts as a list of one), each trimmed, blanks dropped; empty = absent. */
export const textList: SearchField<string[]> = (value) => {
  const list = Array.isArray(value) ? value : [value];
  const out = list.map(text).filter((v): v is string => v !== undefined);
  return out.length === 0 ? undefined : out;
};

/** Bounds of {@link wholeNumber}, both inclusive. */
export interface WholeNumberBounds {
  /** Default 1. */
  readonly min?: number;
  /** Default `Number.MAX_SAFE_INTEGER`. */
  readonly max?: number;
}

/** A whole number (a number, or its digits as text) within the bounds; else absent. */
export function wholeNumber({
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
}: WholeNumberBounds = {}): SearchField<number> {
  return (value) => {
    const n =
      typeof value === "number"
        ? value
        : typeof value === "string" && value.trim() !== ""
          ? Number(value)
          : Number.NaN;
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
  };
}

/** One of `values` (texts trimmed; a number also from its text); else absent. */
export function oneOf<const T extends string | number>(values: readonly T[]): SearchField<T> {
  return (value) => {
    const t = text(value);
    if (t === undefined) return undefined;
    return values.find((v) => (typeof v === "number" ? v === Number(t) : v === t));
  };
}

/** A flag: true for `true`/`1` (or their text); anything else = absent. */
export const flag: SearchField<true> = (value) =>
  value === true || value === 1 || value === "true" || value === "1" ? true : undefined;

/** `field`, but absent when it gives `fallback`: the default view needs no param in its link. */
export function withoutDefault<T>(field: SearchField<T>, fallback: T): SearchField<T> {
  return (value) => {
    const parsed = field(value);
    return parsed === fallback ? undefined : parsed;
  };
}
