import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { provisionPython } from "./python.ts";

const run = promisify(execFile);

// The provisioned venv is used from a shell too (activate, pip, protoc), not only as `python -m`.
describe("provisioned Python venv", () => {
  it("runs its own scripts: pip and protoc point at the venv's interpreter", async () => {
    const env = await provisionPython();
    const pip = await run(env.script("pip"), ["--version"]);
    // pip names the site-packages it runs from: the venv's own.
    assert.ok(pip.stdout.includes(env.venv), pip.stdout);
    const protoc = await run(env.script("protoc"), ["--version"]);
    assert.match(protoc.stdout, /^libprotoc \d+\.\d+/);
  });

  it("activates the venv's own folder", async (t) => {
    if (process.platform === "win32") {
      t.skip("bin/activate is the POSIX shell script; Windows has Scripts\\activate.bat");
      return;
    }
    const { venv } = await provisionPython();
    assert.match(readFileSync(join(venv, "bin", "activate"), "utf8"), new RegExp(`VIRTUAL_ENV=['"]?${venv}`));
    const shell = await run("sh", ["-c", `. "${join(venv, "bin", "activate")}" && command -v pip`]);
    assert.equal(shell.stdout.trim(), join(venv, "bin", "pip"));
  });
});
