import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { provisionKafka } from "./kafka.ts";
import { provisionNatsServer } from "./nats.ts";
import { ProvisionError } from "./provision-error.ts";
import { inUnitTier, refuseInUnitTier, testTierEnv } from "./test-tier.ts";

describe("unit-tier guard", () => {
  // The unit tier runs every file in one process: put the variable back as it was.
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env[testTierEnv];
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[testTierEnv];
    else process.env[testTierEnv] = saved;
  });

  it("refuses, naming what was attempted, when LANGTIAN_TEST_TIER=unit", () => {
    process.env[testTierEnv] = "unit";
    assert.equal(inUnitTier(), true);
    assert.throws(
      () => refuseInUnitTier("starting nats-server"),
      (err: unknown) =>
        err instanceof ProvisionError &&
        err.message.includes("starting nats-server") &&
        err.message.includes("unit-test-files.ts"),
    );
  });

  it("makes provisioners throw before they look at the cache", () => {
    process.env[testTierEnv] = "unit";
    assert.throws(
      () => provisionNatsServer(),
      /provisioning nats-server is not allowed in the unit test tier/,
    );
    assert.throws(() => provisionKafka(), /provisioning Kafka is not allowed in the unit test tier/);
  });

  it("allows everything outside the unit tier", () => {
    delete process.env[testTierEnv];
    assert.equal(inUnitTier(), false);
    assert.doesNotThrow(() => refuseInUnitTier("starting nats-server"));
    process.env[testTierEnv] = "integration";
    assert.doesNotThrow(() => refuseInUnitTier("starting nats-server"));
  });
});
