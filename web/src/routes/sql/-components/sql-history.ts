/** One statement the user ran, as the history keeps it. */
export interface SqlHistoryEntry {
  readonly sql: string;
  /** When it last ran (epoch ms). */
  readonly atMs: number;
  /** Rows it returned, or undefined when it failed or was canceled. */
  readonly rows: number | undefined;
  readonly ok: boolean;
}

/** localStorage key of the history. */
export const SQL_HISTORY_KEY = "langtian.sql.history";
/** Statements kept; the oldest go first. */
export const SQL_HISTORY_MAX = 50;

/** The history, newest first (empty when storage is unavailable or holds something else). */
export function readSqlHistory(storage: Storage | undefined = globalThis.localStorage): SqlHistoryEntry[] {
  try {
    const parsed = JSON.parse(storage?.getItem(SQL_HISTORY_KEY) ?? "[]") as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (e): e is SqlHistoryEntry =>
        typeof e === "object" && e !== null && typeof e.sql === "string" && typeof e.atMs === "number",
    );
  } catch {
    return [];
  }
}

/**
 * Puts `entry` first (a statement run again moves up rather than appearing twice), keeps at
 * most {@link SQL_HISTORY_MAX}, stores and returns the new history.
 */
export function addSqlHistory(
  entry: SqlHistoryEntry,
  storage: Storage | undefined = globalThis.localStorage,
): SqlHistoryEntry[] {
  const next = [entry, ...readSqlHistory(storage).filter((e) => e.sql !== entry.sql)].slice(
    0,
    SQL_HISTORY_MAX,
  );
  try {
    storage?.setItem(SQL_HISTORY_KEY, JSON.stringify(next));
  } catch {
    // Storage full or denied: the history lives for this page only.
  }
  return next;
}

/** Forgets every statement. */
export function clearSqlHistory(storage: Storage | undefined = globalThis.localStorage): void {
  storage?.removeItem(SQL_HISTORY_KEY);
}
