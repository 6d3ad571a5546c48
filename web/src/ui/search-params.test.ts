import { describe, expect, it } from "vitest";
import {
  flag,
  oneOf,
  searchParser,
  text,
  textList,
  time,
  verbatimText,
  wholeNumber,
  withoutDefault,
} from "./search-params.ts";

describe("search params", () => {
  it("reads text trimmed, numbers and booleans the router parsed as their text, blanks as absent", () => {
    expect(text("  plant-a ")).toBe("plant-a");
    expect(text(42)).toBe("42");
    expect(text(true)).toBe("true");
    expect(text("   ")).toBeUndefined();
    expect(text(undefined)).toBeUndefined();
    expect(text(["a"])).toBeUndefined();
    expect(text({ a: 1 })).toBeUndefined();
  });

  it("keeps verbatim text as typed, blanks as absent", () => {
    expect(verbatimText("SELECT 1\n  FROM t ")).toBe("SELECT 1\n  FROM t ");
    expect(verbatimText("bridge ")).toBe("bridge ");
    expect(verbatimText(1)).toBe("1");
    expect(verbatimText(" \n")).toBeUndefined();
    expect(verbatimText(null)).toBeUndefined();
  });

  it("reads a time as RFC 3339 UTC, invalid ones as absent", () => {
    expect(time("2026-12-02T12:00:00Z")).toBe("2026-12-02T12:00:00.000Z");
    expect(time("2026-12-02T13:00:00+01:00")).toBe("2026-12-02T12:00:00.000Z");
    expect(time("yesterday")).toBeUndefined();
    expect(time("")).toBeUndefined();
  });

  it("reads a list of texts, one value as a list of one, blanks dropped", () => {
    expect(textList(["a", " b ", "", 3, null])).toEqual(["a", "b", "3"]);
    expect(textList("a")).toEqual(["a"]);
    expect(textList([])).toBeUndefined();
    expect(textList(["  "])).toBeUndefined();
    expect(textList(undefined)).toBeUndefined();
  });

  it("reads whole numbers within bounds (from 1 unless told), from numbers or digits", () => {
    const positive = wholeNumber();
    expect(positive(7)).toBe(7);
    expect(positive("12")).toBe(12);
    expect(positive(0)).toBeUndefined();
    expect(positive(1.5)).toBeUndefined();
    expect(positive("")).toBeUndefined();
    expect(positive("abc")).toBeUndefined();
    expect(positive(true)).toBeUndefined();
    expect(positive(2 ** 60)).toBeUndefined();
    const rate = wholeNumber({ min: 1, max: 1000 });
    expect(rate(1000)).toBe(1000);
    expect(rate(1001)).toBeUndefined();
    expect(wholeNumber({ min: 2 })(1)).toBeUndefined();
  });

  it("reads one of a set of values, numbers also from their text", () => {
    const stage = oneOf(["collector", "bridge"] as const);
    expect(stage(" bridge ")).toBe("bridge");
    expect(stage("kafka")).toBeUndefined();
    expect(stage(undefined)).toBeUndefined();
    const rows = oneOf([100, 1000] as const);
    expect(rows(1000)).toBe(1000);
    expect(rows("100")).toBe(100);
    expect(rows(50)).toBeUndefined();
  });

  it("reads a flag from true or 1", () => {
    expect(flag(true)).toBe(true);
    expect(flag("1")).toBe(true);
    expect(flag("true")).toBe(true);
    expect(flag(false)).toBeUndefined();
    expect(flag("yes")).toBeUndefined();
  });

  it("drops a field's default, so the default view needs no param", () => {
    const order = withoutDefault(oneOf(["newest", "oldest"] as const), "newest");
    expect(order("oldest")).toBe("oldest");
    expect(order("newest")).toBeUndefined();
    expect(order("sideways")).toBeUndefined();
  });

  it("builds a validateSearch that keeps only the valid fields, with no undefined entries", () => {
    interface Search {
      readonly q?: string;
      readonly page?: number;
      readonly tags?: readonly string[];
    }
    const validate = searchParser<Search>({ q: text, page: wholeNumber(), tags: textList });
    expect(validate({ q: " x ", page: "3", tags: ["a"], other: "dropped" })).toEqual({
      q: "x",
      page: 3,
      tags: ["a"],
    });
    const empty = validate({ q: "", page: "zero" });
    expect(empty).toEqual({});
    expect(Object.keys(empty)).toEqual([]);
  });
});
