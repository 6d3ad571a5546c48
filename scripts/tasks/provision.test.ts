import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { tempDirsRemovedAfterTests } from "../../packages/provision/src/testing/index.ts";
import { repoRoot } from "../lib/run.ts";

const execFileAsync = promisify(execFile);

const tempDir = tempDirsRemovedAfterTests();

describe("provisioning on a machine without the prerequisites", () => {
  it("ends the step with how to get each missing tool, exit code 1 and no stack trace", async (t) => {
    if (process.platform === "win32") {
      t.skip("the bare PATH hides POSIX tool names");
      return;
    }
    // A step of the scripts, as `npm test` and `npm run stack` run it, provisioning Kafka and the
    // Python venv with an empty cache and a PATH that holds no java and a python3 that never
    // ends: Kafka fails at its first command, before any download, and the step ends on that
    // failure at once instead of waiting for the venv.
    const url = (file: string) => pathToFileURL(join(repoRoot, file)).href;
    const script = [
      `import { runScript, step } from ${JSON.stringify(url("scripts/lib/run.ts"))};`,
      `import { startProvisioning } from ${JSON.stringify(url("scripts/tasks/provision.ts"))};`,
      'const provisioning = startProvisioning(["kafka", "python"]);',
      'await runScript(() => step("provision", () => provisioning.ready("kafka", "python")));',
    ].join("\n");
    const bin = tempDir("bare-path");
    writeFileSync(join(bin, "python3"), "#!/bin/sh\nexec /bin/sleep 600\n");
    chmodSync(join(bin, "python3"), 0o755);
    const env: NodeJS.ProcessEnv = {
      PATH: bin,
      LANGTIAN_CACHE_DIR: tempDir("cold-cache"),
      HOME: process.env.HOME,
    };
    const failed = await execFileAsync(process.execPath, ["--input-type=module", "-e", script], {
      env,
      // Far longer than failing needs; reached only when the step waits for the venv.
      timeout: 120_000,
    }).then(
      () => assert.fail("provisioning without java succeeded"),
      (err: { code?: number; stdout: string; stderr: string }) => err,
    );
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /✖ provision failed after [\d.]+ s\n/);
    assert.match(
      failed.stderr,
      /^kafka: Java 17 or newer is needed to run Kafka, and `java` was not found: /m,
    );
    assert.doesNotMatch(failed.stderr, /^\s+at /m, "a stack trace");
  });
});
