import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { longestFirst, readTestDurations, saveTestDurations } from "./test-durations.ts";

const dir = mkdtempSync(join(tmpdir(), "langtian-test-durations-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("test durations", () => {
  it("orders files longest first, the never-measured ones before them all, ties by path", () => {
    const durations = { "a.test.ts": 5_000, "b.test.ts": 90_000, "c.test.ts": 5_000 };
    assert.deepEqual(
      longestFirst(["a.test.ts", "c.test.ts", "new-2.test.ts", "b.test.ts", "new-1.test.ts"], durations),
      ["new-1.test.ts", "new-2.test.ts", "b.test.ts", "a.test.ts", "c.test.ts"],
    );
  });

  it("keeps what was not measured again, replaces what was, and stores paths relative to the root", () => {
    const file = join(dir, "cache", "test-durations.json");
    assert.deepEqual(readTestDurations(file), {}, "nothing before the first run");
    saveTestDurations(file, "/repo", { "/repo/services/a.test.ts": 100, "e2e/b.test.ts": 200 });
    saveTestDurations(file, "/repo", { "/repo/services/a.test.ts": 300 });
    assert.deepEqual(readTestDurations(file), { "services/a.test.ts": 300, "e2e/b.test.ts": 200 });
  });

  it("reads a damaged file as no durations (the order is only an optimisation)", () => {
    const file = join(dir, "damaged.json");
    writeFileSync(file, "{ not json");
    assert.deepEqual(readTestDurations(file), {});
    writeFileSync(file, JSON.stringify({ "a.test.ts": "slow", "b.test.ts": 7 }));
    assert.deepEqual(readTestDurations(file), { "b.test.ts": 7 });
  });

  it("gets each file's whole duration from the reporter, not its tests'", () => {
    // Two files: one whose top-level test is named like a file path, one with a suite.
    writeFileSync(
      join(dir, "slow.test.mjs"),
      'import { it } from "node:test";\n' +
        'it("fast.test.mjs", () => {});\n' +
        'it("waits", () => new Promise((r) => setTimeout(r, 300)));\n',
    );
    writeFileSync(
      join(dir, "fast.test.mjs"),
      'import { describe, it } from "node:test";\ndescribe("suite", () => { it("passes", () => {}); });\n',
    );
    const report = join(dir, "report.json");
    execFileSync(
      process.execPath,
      [
        "--test",
        `--test-reporter=${join(import.meta.dirname, "file-durations-reporter.ts")}`,
        `--test-reporter-destination=${report}`,
        "slow.test.mjs",
        "fast.test.mjs",
      ],
      // Without the variable the runner set for this file, the inner run reports as its own.
      { cwd: dir, env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
    );
    const measured = JSON.parse(readFileSync(report, "utf8")) as Record<string, number>;
    assert.deepEqual(Object.keys(measured).sort(), [join(dir, "fast.test.mjs"), join(dir, "slow.test.mjs")]);
    // The slow file's figure covers its 300 ms wait and more (the process around it).
    assert.ok((measured[join(dir, "slow.test.mjs")] ?? 0) >= 300, JSON.stringify(measured));
  });
});
