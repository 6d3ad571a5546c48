import { lineColumnOf, offsetOfLineColumn, type TextPosition } from "../../../ui/text-position.tsx";

/**
 * Where a JSON syntax error is in `text`, from the parser's message when it says (V8: "at
 * position N (line L column C)", Firefox: "at line L column C", "Unexpected end of JSON input"),
 * else found by reading the text with the JSON grammar (the message may name only a token).
 * Undefined when the text reads as JSON after all.
 */
export function jsonErrorPosition(message: string, text: string): TextPosition | undefined {
  const given = /\bline (\d+),? column (\d+)/i.exec(message);
  if (given !== null) {
    const line = Number(given[1]);
    const column = Number(given[2]);
    return { line, column, offset: offsetOfLineColumn(text, line, column), approximate: false };
  }
  const position = /\bat position (\d+)/i.exec(message);
  const offset = position !== null ? Number(position[1]) : firstJsonError(text);
  if (offset === undefined) return undefined;
  return { ...lineColumnOf(text, offset), offset, approximate: false };
}

/** The offset where `text` stops being JSON (RFC 8259); undefined when it is JSON. */
export function firstJsonError(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw new JsonStop(i);
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined || c < " ") fail();
      i++;
      if (c === '"') return;
      if (c === "\\") {
        const escaped = text[i];
        if (escaped === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 5;
        } else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) i++;
        else fail();
      }
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === "{") {
          space();
          if (text[i] !== '"') fail();
          string();
          space();
          if (text[i] !== ":") fail();
          i++;
        }
        value();
        space();
        if (text[i] === ",") i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') {
      string();
      return;
    }
    const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    number.lastIndex = i;
    if (number.exec(text) !== null && number.lastIndex > i) {
      i = number.lastIndex;
      return;
    }
    for (const literal of ["true", "false", "null"])
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    fail();
  };
  try {
    value();
    space();
    if (i < text.length) fail();
    return undefined;
  } catch (err) {
    if (err instanceof JsonStop) return err.offset;
    throw err;
  }
}

/** Thrown inside {@link firstJsonError} to stop at the first place the text is not JSON. */
class JsonStop {
  readonly offset: number;
  constructor(offset: number) {
    this.offset = offset;
  }
}
