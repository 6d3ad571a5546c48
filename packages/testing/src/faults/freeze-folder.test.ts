import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../launch/temp.ts";
import { canFreezeFolders, freezeFolder } from "./freeze-folder.ts";

describe("freezeFolder", () => {
  it("refuses new files in the folder until thawed", {
    skip: !canFreezeFolders() && "no way to freeze a folder here",
  }, () => {
    const dir = join(tempDir("freeze"), "table");
    mkdirSync(dir);
    const frozen = freezeFolder(dir);
    try {
      assert.throws(() => writeFileSync(join(dir, "a.parquet"), "x"), { code: "EPERM" });
    } finally {
      frozen.thaw();
    }
    frozen.thaw();
    writeFileSync(join(dir, "b.parquet"), "x");
  });
});
