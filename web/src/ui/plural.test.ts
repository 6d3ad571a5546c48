import { describe, expect, it } from "vitest";
import { plural } from "./plural.ts";

describe("plural", () => {
  it("is singular for exactly one, else plural, with the count formatted", () => {
    expect(plural(1, "row")).toBe("1 row");
    expect(plural(1n, "file")).toBe("1 file");
    expect(plural(0, "row")).toBe("0 rows");
    expect(plural(12_345n, "file")).toBe("12,345 files");
    expect(plural(2, "entry", "entries")).toBe("2 entries");
  });
});
