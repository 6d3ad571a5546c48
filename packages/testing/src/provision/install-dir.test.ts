import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../launch/temp.ts";
import { INSTALL_COMPLETE_MARKER, installDir } from "./install-dir.ts";

describe("installDir in place", () => {
  it("builds in the final folder (what it writes may name its own path) and marks it complete last", async () => {
    const dir = join(tempDir("install-dir"), "tool");
    const seen: string[] = [];
    const result = await installDir({
      label: "test tool",
      dir,
      inPlace: true,
      build: async (into) => {
        seen.push(into);
        assert.equal(existsSync(join(into, INSTALL_COMPLETE_MARKER)), false, "not complete while building");
        writeFileSync(join(into, "script"), `#!${join(into, "bin", "python")}\n`);
      },
    });
    assert.equal(result, dir);
    assert.deepEqual(seen, [dir]);
    assert.equal(readFileSync(join(dir, "script"), "utf8"), `#!${join(dir, "bin", "python")}\n`);
    assert.ok(existsSync(join(dir, INSTALL_COMPLETE_MARKER)));
    // Complete: a second call builds nothing.
    await installDir({
      label: "test tool",
      dir,
      inPlace: true,
      build: () => Promise.reject(new Error("rebuilt")),
    });
  });

  it("rebuilds a folder left without its marker by a build that died, and removes a failed build", async () => {
    const dir = join(tempDir("install-dir"), "tool");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "half-written"), "x");
    await installDir({
      label: "test tool",
      dir,
      inPlace: true,
      build: async (into) => writeFileSync(join(into, "whole"), "y"),
    });
    assert.equal(existsSync(join(dir, "half-written")), false, "the dead build's leftovers are gone");
    assert.ok(existsSync(join(dir, "whole")));

    const failing = join(tempDir("install-dir"), "tool");
    await assert.rejects(
      installDir({
        label: "test tool",
        dir: failing,
        inPlace: true,
        build: async (into) => {
          writeFileSync(join(into, "partial"), "z");
          throw new Error("download failed");
        },
      }),
      /download failed/,
    );
    assert.equal(existsSync(failing), false);
  });
});
