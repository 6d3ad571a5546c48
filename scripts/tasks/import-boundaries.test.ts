import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { repoRoot } from "../lib/run.ts";
import {
  type BoundaryViolation,
  checkBoundaries,
  formatViolations,
  importsOf,
  readSourceFiles,
  readWorkspaces,
} from "./import-boundaries.ts";

const workspaces = new Map([
  ["@langtian/envelope", "packages/envelope"],
  ["@langtian/service-kit", "packages/service-kit"],
  ["@langtian/testing", "packages/testing"],
  ["@langtian/bridge", "services/bridge"],
  ["@langtian/collector", "services/collector"],
]);

/** Violations of one file with `text` at `path`, as `line: specifier` strings. */
function violationsOf(path: string, text: string): string[] {
  return checkBoundaries([{ path, text }], workspaces).map((v) => `${v.line}: ${v.specifier}`);
}

describe("import boundaries", () => {
  it("reads static, type-only, re-exported, dynamic and require imports with their lines", () => {
    const text = [
      'import { a } from "./a.ts";',
      'import type { B } from "./b.ts";',
      'export { c } from "./c.ts";',
      "const d = await import(",
      '  "./d.ts");',
      'const e = require("./e.cjs");',
    ].join("\n");
    const found = importsOf(text).map((i) => `${i.line}: ${i.specifier}`);
    for (const expected of ["1: ./a.ts", "2: ./b.ts", "3: ./c.ts", "5: ./d.ts", "6: ./e.cjs"]) {
      assert.ok(found.includes(expected), `${expected} in ${found.join(", ")}`);
    }
  });

  it("refuses a service importing another service, by path or by name", () => {
    assert.deepEqual(
      violationsOf(
        "services/bridge/src/pipeline.ts",
        'import { x } from "../../collector/src/x.ts";\nimport { y } from "@langtian/collector";\n',
      ),
      ["1: ../../collector/src/x.ts", "2: @langtian/collector"],
    );
  });

  it("refuses a package importing a service", () => {
    assert.deepEqual(violationsOf("packages/envelope/src/a.ts", 'export * from "@langtian/bridge";'), [
      "1: @langtian/bridge",
    ]);
  });

  it("refuses anything outside scripts/ importing scripts/, dynamic imports included", () => {
    assert.deepEqual(
      violationsOf("e2e/support/run.ts", 'const m = await import("../../scripts/lib/run.ts");'),
      ["1: ../../scripts/lib/run.ts"],
    );
    assert.deepEqual(violationsOf("scripts/stack.ts", 'import { step } from "./lib/run.ts";'), []);
  });

  it("refuses production code importing test helpers, and allows tests and testing/ folders to", () => {
    const helpers = [
      'import { startNats } from "@langtian/testing";',
      'import { probe } from "@langtian/service-kit/testing";',
      'import { harness } from "./testing/harness.ts";',
    ].join("\n");
    assert.deepEqual(violationsOf("services/bridge/src/app.ts", helpers), [
      "1: @langtian/testing",
      "2: @langtian/service-kit/testing",
      "3: ./testing/harness.ts",
    ]);
    assert.deepEqual(violationsOf("services/bridge/src/app.test.ts", helpers), []);
    assert.deepEqual(violationsOf("services/bridge/src/testing/child.ts", helpers), []);
    assert.deepEqual(violationsOf("services/bridge/test/scenario.ts", helpers), []);
    assert.deepEqual(violationsOf("packages/testing/src/launch/nats.ts", helpers), []);
  });

  it("refuses bench/ reaching our code by a relative path, and allows package names and its own files", () => {
    assert.deepEqual(
      violationsOf(
        "bench/bridge/bench.ts",
        [
          'import { decode } from "../../services/bridge/src/decode.ts";',
          'import { uuidv7 } from "../../packages/envelope/src/index.ts";',
          'import { createApp } from "@langtian/bridge";',
          'import { cpuSeconds } from "../src/proc-cpu.ts";',
          'import { connect } from "@nats-io/transport-node";',
        ].join("\n"),
      ),
      ["1: ../../services/bridge/src/decode.ts", "2: ../../packages/envelope/src/index.ts"],
    );
  });

  it("names the file, the line, the import and the rule", () => {
    const violation: BoundaryViolation = {
      file: "services/bridge/src/a.ts",
      line: 3,
      specifier: "@langtian/collector",
      rule: "a service imports another service; share code through packages/",
    };
    assert.equal(
      formatViolations([violation]),
      'services/bridge/src/a.ts:3: import "@langtian/collector": a service imports another service; share code through packages/',
    );
  });

  it("walks the repository's code folders, never node_modules, and knows every workspace", () => {
    const paths = readSourceFiles(repoRoot).map((f) => f.path);
    for (const path of [
      "scripts/tasks/import-boundaries.ts",
      "services/bridge/src/index.ts",
      "bench/src/proc-cpu.ts",
    ]) {
      assert.ok(paths.includes(path), `${path} is checked`);
    }
    assert.equal(paths.filter((p) => p.includes("node_modules")).length, 0);
    assert.equal(readWorkspaces(repoRoot).get("@langtian/provision"), "packages/provision");
  });
});
