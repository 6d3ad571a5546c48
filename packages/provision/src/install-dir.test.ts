import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { acquireLock, INSTALL_COMPLETE_MARKER, installDir } from "./install-dir.ts";
import { ProvisionError } from "./provision-error.ts";
import { tempDirsRemovedAfterTests } from "./testing/index.ts";

const tempDir = tempDirsRemovedAfterTests();

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

describe("installDir staged", () => {
  it("builds in a staging folder and renames it into place; a second call builds nothing", async () => {
    const dir = join(tempDir("install-dir"), "tool");
    let staging = "";
    await installDir({
      label: "test tool",
      dir,
      build: async (into) => {
        staging = into;
        assert.notEqual(into, dir);
        assert.equal(existsSync(dir), false, "the final folder appears only when complete");
        writeFileSync(join(into, "bin"), "x");
      },
    });
    assert.equal(readFileSync(join(dir, "bin"), "utf8"), "x");
    assert.equal(existsSync(staging), false);
    await installDir({ label: "test tool", dir, build: () => Promise.reject(new Error("rebuilt")) });
  });
});

describe("the install lock", () => {
  it("is taken over at once when the process that holds it is dead", async () => {
    const lock = join(tempDir("install-lock"), "tool.lock");
    // A pid that existed and is gone now: a child that has exited.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    writeFileSync(lock, String(dead));
    const release = await acquireLock(lock, "test tool");
    assert.equal(readFileSync(lock, "utf8"), String(process.pid));
    await release();
    assert.equal(existsSync(lock), false);
  });

  it("is never broken while its owner lives: the waiter gives up with a ProvisionError", async () => {
    const lock = join(tempDir("install-lock"), "tool.lock");
    // This very process is alive: a lock naming it belongs to a live installer.
    writeFileSync(lock, String(process.pid));
    await assert.rejects(acquireLock(lock, "test tool", 600), (err: unknown) => {
      assert.ok(err instanceof ProvisionError);
      assert.match(err.message, new RegExp(`held by pid ${process.pid}`));
      return true;
    });
    assert.equal(readFileSync(lock, "utf8"), String(process.pid), "the live owner's lock is untouched");
  });
});
