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

  it("keeps a required dependency from gating readiness until it has been unhealthy for its grace", async () => {
    let up = true;
    const checks = createHealthChecks([
      { name: "kafka", graceMs: 60, check: () => ({ healthy: up, detail: up ? "up" : "down" }) },
    ]);
    assert.equal(requiredHealthy(await checks.run()), true);
    up = false;
    const [first] = await checks.run();
    assert.equal(first?.healthy, false);
    assert.equal(first?.withinGrace, true);
    assert.equal(requiredHealthy(first ? [first] : []), true);
    await new Promise((resolve) => setTimeout(resolve, 80));
    const late = await checks.run();
    assert.equal(late[0]?.withinGrace, false);
    assert.equal(
      late[0]?.unhealthySinceMs,
      first?.unhealthySinceMs,
      "the grace counts from the first failure",
    );
    assert.equal(requiredHealthy(late), false);
    // Healthy again: the clock resets, the next failure gets a full grace.
    up = true;
    assert.equal(requiredHealthy(await checks.run()), true);
    up = false;
    assert.equal((await checks.run())[0]?.withinGrace, true);
  });

  it("gives no grace to a dependency never seen healthy (a service still starting is not ready)", async () => {
    const checks = createHealthChecks([
      { name: "source", graceMs: 60_000, check: () => ({ healthy: false, detail: "not running" }) },
    ]);
    assert.equal(requiredHealthy(await checks.run()), false);
  });

  it("counts the grace from when the check says the dependency went bad", async () => {
    const checks = createHealthChecks([
      {
        name: "nats",
        graceMs: 1_000,
        check: () => ({ healthy: false, detail: "reconnecting", unhealthySinceMs: Date.now() - 5_000 }),
      },
    ]);
    const states = await checks.run();
    assert.equal(states[0]?.withinGrace, false);
    assert.equal(requiredHealthy(states), false);
  });

  it("joins a check still running instead of starting it again", async () => {
    let calls = 0;
    let answer = () => {};
    const checks = createHealthChecks([
      {
        name: "slow",
        check: () => {
          calls++;
          return new Promise((resolve) => {
            answer = () => resolve({ healthy: true, detail: "ok" });
          });
        },
      },
    ]);
    const both = Promise.all([checks.run(), checks.run()]);
    await new Promise((resolve) => setImmediate(resolve));
    answer();
    const [a, b] = await both;
    assert.equal(calls, 1);
    assert.deepEqual(a, b);
  });
});
