import { globSync } from "node:fs";
import { relative, resolve } from "node:path";
import { startSharedServers } from "../../packages/testing/src/index.ts";
import { repoRoot, run } from "../lib/run.ts";

/** Test files of every workspace: unit tests next to the code, integration scenarios in `test/`. */
const testGlobs = [
  "scripts/**/*.test.ts",
  "packages/*/src/**/*.test.ts",
  "packages/*/test/**/*.test.ts",
  "services/*/src/**/*.test.ts",
  "services/*/test/**/*.test.ts",
  "bench/**/*.test.ts",
];

/**
 * The end-to-end chaos tests run after the rest, one at a time: each loads both cores with a
 * whole pipeline, and beside other suites the load alone made unrelated timing-sensitive
 * tests (a bridge drain's sweep of late deliveries) flaky. The web UI's browser tests join
 * them: each starts a lake writer, a query API, an admin and Chromium.
 */
const e2eGlobs = ["e2e/**/*.test.ts", "web/e2e/**/*.test.ts"];

/**
 * Starts the shared nats-server and Kafka broker once, then runs the given test files (paths
 * or globs relative to the repository root) against them. Tests isolate themselves by unique
 * stream, topic and folder names; tests that stop or reconfigure servers start dedicated ones.
 */
export async function runWithSharedServers(
  files: readonly string[],
  after: { files: readonly string[]; concurrency: number } | undefined = undefined,
): Promise<void> {
  const servers = await startSharedServers();
  process.stdout.write(
    `shared servers: nats ${servers.env.LANGTIAN_TEST_NATS_URL}, kafka ${servers.env.LANGTIAN_TEST_KAFKA_BOOTSTRAP}\n`,
  );
  try {
    await run(process.execPath, ["--test", "--test-concurrency=3", "--test-timeout=600000", ...files], {
      env: servers.env,
    });
    if (after !== undefined) {
      await run(
        process.execPath,
        ["--test", `--test-concurrency=${after.concurrency}`, "--test-timeout=900000", ...after.files],
        { env: servers.env },
      );
    }
  } finally {
    await servers.stop();
  }
}

/** `npm test`'s test step: every unit and integration test of the repository, then the chaos tests. */
export async function nodeTests(): Promise<void> {
  await runWithSharedServers(testGlobs, { files: e2eGlobs, concurrency: 1 });
}

/**
 * `npm test -w <workspace>`: the test files of the workspace npm runs the script in (npm sets
 * the working directory to it), with the shared servers they need.
 */
export async function workspaceTests(): Promise<void> {
  const workspace = relative(repoRoot, resolve(process.cwd())).replaceAll("\\", "/");
  if (workspace === "" || workspace.startsWith("..")) {
    throw new Error(`test:workspace runs inside a workspace folder, not in ${process.cwd()}`);
  }
  // The workspace's own source folders only: its node_modules may link other workspaces. The web
  // UI's src/ holds vitest component tests (its `npm test`); its Node tests are the browser tests.
  const globs =
    workspace === "web"
      ? ["web/e2e/**/*.test.ts"]
      : [`${workspace}/src/**/*.test.ts`, `${workspace}/test/**/*.test.ts`];
  if (workspace === "bench") globs.push("bench/*/**/*.test.ts");
  const files = [...new Set(globs.flatMap((pattern) => globSync(pattern, { cwd: repoRoot })))].filter(
    (file) => !file.includes("node_modules"),
  );
  if (files.length === 0) {
    process.stdout.write(`${workspace} has no test files\n`);
    return;
  }
  await runWithSharedServers(files.sort());
}
