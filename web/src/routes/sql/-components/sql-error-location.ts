import {
  lineColumnOf,
  offsetOfLineColumn as offsetOf,
  type TextPosition,
} from "../../../ui/text-position.tsx";

/**
 * Where in the statement an error points: 1-based line and column, 0-based offset; approximate
 * when guessed from the token the message names rather than given by the server.
 */
export type SqlErrorLocation = TextPosition;

/**
 * Finds the place an error message of the query API points at in `sql`:
 * - "… at line L, column C" (the query API's syntax and binder errors);
 * - DuckDB's own context, "LINE L: <text>" with a caret line below (older servers, other paths);
 * - else the token of "syntax error at or near "X"" (its first occurrence, marked approximate),
 *   or the end of the text for "at end of input".
 * Undefined when the message names no place.
 */
export function findSqlErrorLocation(message: string, sql: string): SqlErrorLocation | undefined {
  const given = /\bat line (\d+), column (\d+)/i.exec(message);
  if (given !== null) {
    const line = Number(given[1]);
    const column = Number(given[2]);
    return { line, column, offset: offsetOf(sql, line, column), approximate: false };
  }
  const context = /LINE (\d+): ([^\n]*)\n( *)\^/.exec(message);
  if (context !== null) {
    const line = Number(context[1]);
    const prefix = `LINE ${context[1]}: `.length;
    const shown = context[2] ?? "";
    const caret = (context[3]?.length ?? 0) - prefix;
    // DuckDB may shorten a long line to a window around the place ("..." at its ends).
    const actual = sql.split("\n")[line - 1] ?? "";
    const trimmed = shown.replace(/^\.\.\./, "");
    const at = actual.indexOf(trimmed.replace(/\.\.\.$/, ""));
    const column = Math.max(at, 0) + caret - (shown.length - trimmed.length) + 1;
    return { line, column, offset: offsetOf(sql, line, column), approximate: at < 0 };
  }
  if (/at end of input/i.test(message)) {
    const end = sql.replace(/\s+$/, "").length;
    return { ...lineColumnOf(sql, end), offset: end, approximate: false };
  }
  const near = /at or near "([^"]+)"/i.exec(message);
  if (near?.[1] !== undefined) {
    const at = sql.toLowerCase().indexOf(near[1].toLowerCase());
    if (at >= 0) return { ...lineColumnOf(sql, at), offset: at, approximate: true };
  }
  return undefined;
}
