import { existsSync } from "node:fs";
import { join } from "node:path";
import { testTierEnv } from "../../packages/provision/src/test-tier.ts";
import { sharedServerEnv } from "../../packages/testing/src/launch/shared.ts";
import { repoRoot, run } from "../lib/run.ts";
import { unitTestFiles } from "./unit-test-files.ts";

/**
 * `npm run test:unit`: the unit tier (see `unit-test-files.ts`) on Node 24, in one process, with
 * no servers and no provisioning. `LANGTIAN_TEST_TIER=unit` makes every provisioner and server launcher throw,
 * so a misclassified file fails loudly rather than starting servers.
 */
export async function unitTests(): Promise<void> {
  const missing = unitTestFiles.filter((file) => !existsSync(join(repoRoot, file)));
  if (missing.length > 0) {
    throw new Error(`scripts/tasks/unit-test-files.ts lists files that do not exist: ${missing.join(", ")}`);
  }
  const duplicates = unitTestFiles.filter((file, i) => unitTestFiles.indexOf(file) !== i);
  if (duplicates.length > 0) {
    throw new Error(`scripts/tasks/unit-test-files.ts lists files twice: ${duplicates.join(", ")}`);
  }
  // Unset (undefined) server variables: servers handed down from an outer run must not be visible here.
  const env: NodeJS.ProcessEnv = {
    [testTierEnv]: "unit",
    [sharedServerEnv.natsUrl]: undefined,
    [sharedServerEnv.kafkaBootstrap]: undefined,
  };
  // One process for all files: spawning a process per file costs more than the tests themselves,
  // so unit tests must leave no global state behind (env, timers, mocks) for the next file.
  await run(
    process.execPath,
    ["--test", "--test-isolation=none", "--test-timeout=120000", ...unitTestFiles],
    {
      env,
    },
  );
}
