import { flag, type SearchField, searchParser, wholeNumber } from "../../../ui/search-params.ts";

/** The Diagnostics page's state in the URL. */
export interface DiagnosticsSearch {
  /** Records the stress test writes (default {@link DEFAULT_STRESS_COUNT}). */
  readonly count?: number;
  /** Start the stress test as the page opens (a link runs it, e.g. in WebView2 or a test). */
  readonly run?: boolean;
  /** Rows of the synthetic grid shown for a scrolling check; absent = no grid. */
  readonly grid?: number;
}

/** Records the stress test writes unless the URL says otherwise. */
export const DEFAULT_STRESS_COUNT = 100_000;
/** Most records or grid rows a link may ask for (keeps a hand-edited link from filling the disk). */
export const MAX_DIAGNOSTICS_COUNT = 1_000_000;

/** A positive whole number, at most {@link MAX_DIAGNOSTICS_COUNT} (larger ones are capped, not dropped). */
const count: SearchField<number> = (value) => {
  const n = wholeNumber()(value);
  return n === undefined ? undefined : Math.min(n, MAX_DIAGNOSTICS_COUNT);
};

/** The route's `validateSearch`: keeps what is valid and drops the rest. */
export const validateDiagnosticsSearch = searchParser<DiagnosticsSearch>({ count, run: flag, grid: count });
