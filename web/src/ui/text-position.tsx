import "./text-position.css";

/** A place in a text an error points at: 1-based line and column, 0-based offset. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  /** True when guessed (e.g. from a token the message names) rather than given. */
  readonly approximate: boolean;
}

/** The 0-based offset of a 1-based line and column in `text` (clamped to the text). */
export function offsetOfLineColumn(text: string, line: number, column: number): number {
  const lines = text.split("\n");
  let offset = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += (lines[i]?.length ?? 0) + 1;
  const current = lines[Math.min(line, lines.length) - 1] ?? "";
  return Math.min(text.length, offset + Math.min(Math.max(0, column - 1), current.length));
}

/** The 1-based line and column of a 0-based offset in `text`. */
export function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split("\n").length;
  return { line, column: before.length - before.lastIndexOf("\n") };
}

/** The text's line at `position` and a caret line under its column. */
export function caretLines(text: string, position: TextPosition): [string, string] {
  const line = text.split("\n")[position.line - 1] ?? "";
  return [line, `${" ".repeat(Math.max(0, position.column - 1))}^`];
}

/**
 * Where an error points, under the message: "Line L, column C", the line with a caret under the
 * column, and (when given) a button that puts the editor's cursor there. `testId` names the
 * parts for tests (`<testId>-location`, `<testId>-caret`).
 */
export function TextPositionView({
  text,
  position,
  testId,
  onShow,
}: {
  text: string;
  position: TextPosition;
  testId: string;
  onShow?: () => void;
}) {
  return (
    <>
      <div data-testid={`${testId}-location`}>
        Line {position.line}, column {position.column}
        {position.approximate ? " (approximately)" : ""}
      </div>
      <pre className="text-caret" data-testid={`${testId}-caret`}>
        {caretLines(text, position).join("\n")}
      </pre>
      {onShow === undefined ? null : (
        <button type="button" onClick={onShow}>
          Show in the editor
        </button>
      )}
    </>
  );
}
