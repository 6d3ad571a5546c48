import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHealthChecks, requiredHealthy } from "./health.ts";

describe("health checks", () => {
  it("reports each dependency with its required flag, in registration order", async () => {
    const checks = createHealthChecks([{ name: "nats", check: () => ({ healthy: true, detail: "ok" }) }]);
    checks.add({ name: "s3", required: false, check: async () => ({ healthy: false, detail: "down" }) });
    assert.deepEqual(await checks.run(), [
      { name: "nats", required: true, healthy: true, detail: "ok" },
      { name: "s3", required: false, healthy: false, detail: "down" },
    ]);
  });

  it("counts a throwing check as unhealthy with the error as detail", async () => {
    const checks = createHealthChecks([
      {
        name: "kafka",
        check: () => {
          throw new Error("no brokers");
        },
      },
    ]);
    assert.deepEqual(await checks.run(), [
      { name: "kafka", required: true, healthy: false, detail: "no brokers" },
    ]);
  });

  it("counts a check that does not answer within its timeout as unhealthy and aborts its signal", async () => {
    let aborted: AbortSignal | undefined;
    const checks = createHealthChecks([
      {
        name: "lake",
        timeoutMs: 20,
        check: (signal) => {
          aborted = signal;
          return new Promise(() => {});
        },
      },
    ]);
    const [state] = await checks.run();
    assert.equal(state?.healthy, false);
    assert.equal(state?.detail, 'health check "lake" did not answer within 20 ms');
    assert.equal(aborted?.aborted, true);
  });

  it("replaces a check registered twice under one name and removes by name", async () => {
    const checks = createHealthChecks();
    checks.add({ name: "a", check: () => ({ healthy: false, detail: "1" }) });
    checks.add({ name: "a", check: () => ({ healthy: true, detail: "2" }) });
    assert.deepEqual(
      (await checks.run()).map((s) => s.detail),
      ["2"],
    );
    checks.remove("a");
    assert.deepEqual(await checks.run(), []);
  });

  it("is ready only when every required dependency is healthy", () => {
    assert.equal(requiredHealthy([]), true);
    assert.equal(requiredHealthy([{ name: "o", required: false, healthy: false, detail: "" }]), true);
    assert.equal(requiredHealthy([{ name: "r", required: true, healthy: false, detail: "" }]), false);
  });
});
