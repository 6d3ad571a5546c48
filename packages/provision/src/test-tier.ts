import { ProvisionError } from "./provision-error.ts";

/**
 * Environment variable naming the test tier a process runs in. `npm run test:unit` sets it to
 * `unit`; the full suite leaves it unset.
 */
export const testTierEnv = "LANGTIAN_TEST_TIER";

/** True when this process runs the unit tier (`npm run test:unit`). */
export function inUnitTier(): boolean {
  return process.env[testTierEnv] === "unit";
}

/**
 * Throws when this process runs the unit tier: provisioning a tool or starting a server there
 * means a test was wrongly classified as a unit test. Failing loudly keeps the unit tier fast
 * instead of letting it quietly build nats-server or start Kafka. Called by every provisioner
 * (through `installDir`) and by the server launchers of `@langtian/testing`.
 */
export function refuseInUnitTier(what: string): void {
  if (!inUnitTier()) return;
  throw new ProvisionError(
    `${what} is not allowed in the unit test tier (${testTierEnv}=unit): this test needs a server or a ` +
      "provisioned tool, so remove it from scripts/tasks/unit-test-files.ts; `npm test` runs it with its servers",
  );
}
