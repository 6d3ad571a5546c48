import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { repoRoot } from "../lib/run.ts";
import { readSourceFiles } from "./import-boundaries.ts";
import { findPosixOnly, isShippedCode } from "./posix-only.ts";

const shipped = "services/collector/src/thing.ts";
const rulesOf = (text: string, path = shipped) => findPosixOnly([{ path, text }]).map((u) => u.rule);

describe("the posix-only lint rule", () => {
  it("finds POSIX paths, shells, shell command lines and process groups in shipped code", () => {
    assert.deepEqual(rulesOf('const spool = "/tmp/spool";'), ["absolute POSIX path"]);
    assert.deepEqual(rulesOf("readFileSync('/proc/net/udp')"), ["absolute POSIX path"]);
    assert.deepEqual(rulesOf('spawn("sh", ["-c", cmd])'), ["a POSIX shell"]);
    assert.deepEqual(rulesOf("execSync('rm -rf ' + dir)"), ["a command line run by a shell"]);
    assert.deepEqual(rulesOf("spawn(cmd, args, { shell: true })"), ["a command line run by a shell"]);
    assert.deepEqual(rulesOf("process.kill(-pid, 'SIGTERM')"), ["a process group (negative pid)"]);
  });

  it("leaves regex exec, comments, allowed uses and code that is not shipped alone", () => {
    assert.deepEqual(rulesOf("const m = /x/.exec(text);"), []);
    assert.deepEqual(rulesOf("// reads /proc/net/snmp on Linux"), []);
    assert.deepEqual(rulesOf('// posix-only: Linux only, absent elsewhere\nread("/proc/net/snmp")'), []);
    assert.deepEqual(rulesOf('/**\n * posix-only: guarded below\n */\nread("/proc/net/snmp")'), []);
    assert.deepEqual(rulesOf('spawn("sh")', "services/collector/src/thing.test.ts"), []);
    assert.equal(isShippedCode("packages/testing/src/launch/server-process.ts"), false);
    assert.equal(isShippedCode("services/bridge/src/testing/child-bridge.ts"), false);
    assert.equal(isShippedCode("packages/service-kit/src/shutdown.ts"), true);
  });

  it("passes on the repository", () => {
    assert.deepEqual(findPosixOnly(readSourceFiles(repoRoot)), []);
  });
});
