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

/** The route's `validateSearch`: keeps what is valid and drops the rest. */
export function validateSqlSearch(search: Record<string, unknown>): SqlSearch {
  // The router parses JSON-looking values: a statement like `1` arrives as a number.
  const raw = typeof search.q === "number" ? String(search.q) : search.q;
  const q = typeof raw === "string" && raw.trim() !== "" ? raw : undefined;
  const max = Number(search.max);
  const validMax = (MAX_ROWS_CHOICES as readonly number[]).includes(max) ? max : undefined;
  const p =
    typeof search.p === "object" && search.p !== null && !Array.isArray(search.p)
      ? Object.fromEntries(
          Object.entries(search.p).flatMap(([k, v]) =>
            /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && (typeof v === "string" || typeof v === "number")
              ? [[k, String(v)]]
              : [],
          ),
        )
      : {};
  return {
    ...(q === undefined ? {} : { q }),
    ...(Object.keys(p).length === 0 ? {} : { p }),
    ...(validMax === undefined || validMax === DEFAULT_MAX_ROWS ? {} : { max: validMax }),
  };
}
