import {
  oneOf,
  type SearchField,
  searchParser,
  verbatimText,
  withoutDefault,
} from "../../../ui/search-params.ts";

/** The SQL console's state in the URL: a query is a link. */
export interface SqlSearch {
  /** The statement in the editor (run when the page opens with it). */
  readonly q?: string;
  /** Most rows asked for; absent = {@link DEFAULT_MAX_ROWS}. */
  readonly max?: number;
  /** Texts of the statement's named parameters (`$name` → text). */
  readonly p?: Readonly<Record<string, string>>;
}

/** Row limits offered; the server may allow fewer (its refusal says so). */
export const MAX_ROWS_CHOICES = [100, 1_000, 10_000, 100_000] as const;
/** Rows asked for unless the URL says otherwise (the query API's own default). */
export const DEFAULT_MAX_ROWS = 10_000;

/** A parameter's name as the statement writes it after `$`. */
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The parameters' texts: an object of names to texts (numbers the router parsed as their text); none = absent. */
const params: SearchField<Readonly<Record<string, string>>> = (value) => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const p = Object.fromEntries(
    Object.entries(value).flatMap(([k, v]) =>
      PARAM_NAME.test(k) && (typeof v === "string" || typeof v === "number") ? [[k, String(v)]] : [],
    ),
  );
  return Object.keys(p).length === 0 ? undefined : p;
};

/** The route's `validateSearch`: keeps what is valid and drops the rest. */
export const validateSqlSearch = searchParser<SqlSearch>({
  // As typed: the statement's layout is the user's (and a statement like `1` arrives as a number).
  q: verbatimText,
  p: params,
  max: withoutDefault(oneOf(MAX_ROWS_CHOICES), DEFAULT_MAX_ROWS),
});
