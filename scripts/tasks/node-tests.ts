import { startSharedServers } from "../../packages/testing/src/index.ts";
import { run } from "../lib/run.ts";

/** Test files of every workspace; tests sit next to the code they test. */
const testGlobs = [
  "scripts/**/*.test.ts",
  "packages/*/src/**/*.test.ts",
  "services/*/src/**/*.test.ts",
  "bench/**/*.test.ts",
  "e2e/**/*.test.ts",
];

/**
 * Starts the shared nats-server and Kafka broker once, then runs every unit and
 * integration test against them. Tests isolate themselves by unique stream, topic and
 * folder names; tests that stop or reconfigure servers start dedicated ones.
 */
export async function nodeTests(): Promise<void> {
  const servers = await startSharedServers();
  process.stdout.write(
    `shared servers: nats ${servers.env.LANGTIAN_TEST_NATS_URL}, kafka ${servers.env.LANGTIAN_TEST_KAFKA_BOOTSTRAP}\n`,
  );
  try {
    await run(process.execPath, ["--test", "--test-concurrency=3", "--test-timeout=600000", ...testGlobs], {
      env: servers.env,
    });
  } finally {
    await servers.stop();
  }
}
