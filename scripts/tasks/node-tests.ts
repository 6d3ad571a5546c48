import { globSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { cacheRoot } from "../../packages/provision/src/cache-root.mjs";
import { startSharedServers } from "../../packages/testing/src/index.ts";
import { repoRoot, run } from "../lib/run.ts";
import { longestFirst, readTestDurations, saveTestDurations } from "../lib/test-durations.ts";
import { commandNeeds, type Provisioning, startProvisioning } from "./provision.ts";

/** Test files of every workspace: unit tests next to the code, integration scenarios in `test/`. */
const testGlobs = [
  "scripts/**/*.test.ts",
  "packages/*/src/**/*.test.ts",
  "packages/*/test/**/*.test.ts",
  "services/*/src/**/*.test.ts",
  "services/*/test/**/*.test.ts",
  "bench/**/*.test.ts",
  "deploy/**/*.test.ts",
];

/**
 * The end-to-end tests run after the rest: each starts a whole pipeline (or a lake writer, a
 * query API, an admin and Chromium for the web UI's browser tests), and beside other suites
 * the load alone made unrelated timing-sensitive tests (a bridge drain's sweep of late
 * deliveries) flaky.
 */
const e2eGlobs = ["e2e/**/*.test.ts", "web/e2e/**/*.test.ts"];

/**
 * Of those, the ones that load both cores alone (the replicated topology's 3 NATS nodes,
 * 3 Kafka brokers, 2 bridges and 2 lake writers, or 2,000 events/s and more through two of
 * each) run one at a time. The others run two at a time: much of their time is spent waiting
 * (a 60 s NATS outage at 1,000 events/s, a stack stopped and started again, pages loading),
 * which the second one fills; one at a time, they took 525 s against 365 s two at a time.
 */
const wholeBoxGlobs = ["e2e/chaos-*.test.ts", "e2e/rolling-upgrade.test.ts", "e2e/stack-ha.test.ts"];

/** Where each test file's last duration is kept (see {@link longestFirst}). */
const testDurationsFile = join(cacheRoot(), "test-durations.json");
const durationsReporter = join(repoRoot, "scripts", "lib", "file-durations-reporter.ts");

/** Adds a batch's measured durations to {@link testDurationsFile}; a batch that ended early wrote none. */
function recordDurations(report: string): void {
  try {
    const measured: unknown = JSON.parse(readFileSync(report, "utf8"));
    if (typeof measured === "object" && measured !== null) {
      saveTestDurations(testDurationsFile, repoRoot, measured as Record<string, number>);
    }
  } catch {
    // No report (the run was interrupted): the order stays as it was.
  } finally {
    rmSync(report, { force: true });
  }
}

/** One `node --test` run of {@link runWithSharedServers}. */
export interface TestBatch {
  /** Test files or globs, relative to the repository root. */
  files: readonly string[];
  /** How many files run at once. */
  concurrency: number;
  /** Per-test timeout. */
  timeoutMs: number;
  /** Awaited before the batch starts (e.g. the provisioning of what its tests need). */
  before?: () => Promise<void>;
}

/**
 * Starts the shared nats-server and Kafka broker once, then runs the batches one after the
 * other against them. Tests isolate themselves by unique stream, topic and folder names; tests
 * that stop or reconfigure servers start dedicated ones. A batch's files start longest first,
 * by their last run's durations (kept in the per-user cache), so that no long file starts
 * last and runs on alone. A failing batch does not keep the later ones from running; the
 * first failure is thrown at the end.
 */
export async function runWithSharedServers(batches: readonly TestBatch[]): Promise<void> {
  const servers = await startSharedServers();
  process.stdout.write(
    `shared servers: nats ${servers.env.LANGTIAN_TEST_NATS_URL}, kafka ${servers.env.LANGTIAN_TEST_KAFKA_BOOTSTRAP}\n`,
  );
  const failures: unknown[] = [];
  try {
    for (const [index, batch] of batches.entries()) {
      if (batch.files.length === 0) continue;
      const report = join(tmpdir(), `langtian-test-durations-${process.pid}-${index}.json`);
      try {
        await batch.before?.();
        await run(
          process.execPath,
          [
            "--test",
            `--test-concurrency=${batch.concurrency}`,
            `--test-timeout=${batch.timeoutMs}`,
            "--test-reporter=spec",
            "--test-reporter-destination=stdout",
            `--test-reporter=${durationsReporter}`,
            `--test-reporter-destination=${report}`,
            ...longestFirst(batch.files, readTestDurations(testDurationsFile)),
          ],
          { env: servers.env },
        );
      } catch (err) {
        failures.push(err);
      } finally {
        recordDurations(report);
      }
    }
  } finally {
    await servers.stop();
  }
  if (failures.length > 0) throw failures[0];
}

/** The test files the globs name, relative to the repository root, sorted, outside node_modules. */
function expand(globs: readonly string[]): string[] {
  const files = new Set(globs.flatMap((pattern) => globSync(pattern, { cwd: repoRoot })));
  return [...files].filter((file) => !file.includes("node_modules")).sort();
}

/** True for a test file that starts SeaweedFS (the lake writer's S3 tests), so needs its build. */
function startsSeaweedfs(file: string): boolean {
  return /startSeaweedfs\(/.test(readFileSync(join(repoRoot, file), "utf8"));
}

/**
 * True for a test file that sends spans to the test OpenTelemetry Collector, so needs its build:
 * by convention such files are named `*.otel.test.ts`.
 */
function exportsToOtelCollector(file: string): boolean {
  return file.endsWith(".otel.test.ts");
}

/**
 * `npm test`'s test step: every unit and integration test of the repository, then the chaos and
 * browser tests. `provisioning` is what `npm test` started in the background at its first line;
 * each batch waits only for the tools its tests need. The SeaweedFS build is the long one when
 * cold: while it runs, every other test runs, and the S3 tests follow once it is done (or join
 * the first batch when it was done already). The `*.otel.test.ts` files wait for the
 * OpenTelemetry Collector's build the same way. Run alone (`task.ts test:node`), it provisions
 * itself.
 */
export async function nodeTests(
  provisioning: Provisioning = startProvisioning(commandNeeds.test),
): Promise<void> {
  // The shared servers, the DuckDB extension files, the venv and promtool serve most test files.
  await provisioning.ready("nats-server", "kafka", "duckdb-extensions", "python", "prometheus");
  const files = expand(testGlobs);
  const s3Files = files.filter(startsSeaweedfs);
  const s3Waits = !provisioning.isReady("seaweedfs");
  if (s3Waits && s3Files.length > 0) {
    process.stdout.write(
      `the SeaweedFS build is still running: ${s3Files.join(", ")} run after the other tests\n`,
    );
  }
  const otelFiles = files.filter((file) => exportsToOtelCollector(file) && !s3Files.includes(file));
  const otelWaits = !provisioning.isReady("otel-collector");
  if (otelWaits && otelFiles.length > 0) {
    process.stdout.write(
      `the OpenTelemetry Collector build is still running: ${otelFiles.join(", ")} run after the other tests\n`,
    );
  }
  const later = [...(s3Waits ? s3Files : []), ...(otelWaits ? otelFiles : [])];
  const otelCollectorReady = async () => {
    if (!provisioning.isReady("otel-collector")) {
      process.stdout.write("waiting for the OpenTelemetry Collector build\n");
    }
    await provisioning.ready("otel-collector");
  };
  const seaweedfsReady = async () => {
    if (!provisioning.isReady("seaweedfs")) process.stdout.write("waiting for the SeaweedFS build\n");
    await provisioning.ready("seaweedfs");
  };
  const wholeBoxFiles = expand(wholeBoxGlobs);
  await runWithSharedServers([
    {
      files: files.filter((file) => !later.includes(file)),
      concurrency: 3,
      timeoutMs: 600_000,
    },
    {
      files: otelWaits ? otelFiles : [],
      concurrency: 3,
      timeoutMs: 600_000,
      before: otelCollectorReady,
    },
    { files: s3Waits ? s3Files : [], concurrency: 3, timeoutMs: 600_000, before: seaweedfsReady },
    { files: wholeBoxFiles, concurrency: 1, timeoutMs: 900_000 },
    {
      files: expand(e2eGlobs).filter((file) => !wholeBoxFiles.includes(file)),
      concurrency: 2,
      timeoutMs: 900_000,
      before: () => provisioning.ready("chromium"),
    },
  ]);
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
  const files = expand(globs);
  if (files.length === 0) {
    process.stdout.write(`${workspace} has no test files\n`);
    return;
  }
  await runWithSharedServers([{ files, concurrency: 3, timeoutMs: 600_000 }]);
}
