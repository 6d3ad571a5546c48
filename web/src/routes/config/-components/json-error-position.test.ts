import { describe, expect, it } from "vitest";
import { firstJsonError, jsonErrorPosition } from "./json-error-position.ts";

/** What this runtime's JSON.parse says about `text`. */
const parseError = (text: string) => {
  try {
    JSON.parse(text);
    return "";
  } catch (err) {
    return (err as Error).message;
  }
};

describe("JSON error positions", () => {
  it("takes the line and column, or the position, from the parser's message", () => {
    const text = '{\n  "a": 1,\n  "b" 2\n}';
    expect(jsonErrorPosition(parseError(text), text)).toEqual({
      line: 3,
      column: 7,
      offset: 18,
      approximate: false,
    });
    expect(jsonErrorPosition("Expected ':' at line 3 column 7 of the JSON data", text)?.offset).toBe(18);
    expect(jsonErrorPosition("Unexpected token at position 5", "[1,2,x]")).toMatchObject({
      line: 1,
      column: 6,
    });
  });

  it("finds the place itself when the message names only a token, or the end", () => {
    expect(jsonErrorPosition(`Unexpected token 'x', "[1,2,\n x]" is not valid JSON`, "[1,2,\n x]")).toEqual({
      line: 2,
      column: 2,
      offset: 7,
      approximate: false,
    });
    expect(jsonErrorPosition("Unexpected end of JSON input", '{"a": [1')).toMatchObject({
      line: 1,
      column: 9,
    });
  });

  it("reads JSON like JSON.parse does", () => {
    for (const ok of ['{"a": [1, -2.5e3, true, null, "x\\u00e9\\n"]}', " [] ", '"s"', "0"])
      expect(firstJsonError(ok)).toBeUndefined();
    expect(firstJsonError("{nope")).toBe(1);
    expect(firstJsonError('{"a":1,}')).toBe(7);
    expect(firstJsonError('{"a":1}}')).toBe(7);
    expect(firstJsonError('{"a":"x\ny"}')).toBe(7);
    expect(firstJsonError("01")).toBe(1);
    expect(firstJsonError("")).toBe(0);
  });
});
