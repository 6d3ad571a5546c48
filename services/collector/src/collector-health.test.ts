import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createHealthChecks, requiredHealthy } from "@langtian/service-kit";
import { addCollectorHealthChecks, type CollectorHealthDeps } from "./collector-health.ts";
import type { Delivery } from "./delivery.ts";
import type { PublishTarget } from "./publish-target.ts";
import { Spool } from "./spool.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A real spool of `maxBytes`, fake NATS and delivery state the test can flip. */
function setup(maxBytes: number, maxRecordBytes: number) {
  const dir = mkdtempSync(join(tmpdir(), "collector-health-"));
  dirs.push(dir);
  const spool = Spool.open({
    dir,
    maxBytes,
    segmentBytes: 1 << 20,
    fsync: "never",
    fsyncIntervalMs: 100,
    overflow: "reject-new",
  });
  const state = {
    started: true,
    connected: true,
    spooling: false,
    spoolFailure: undefined as string | undefined,
  };
  const target: PublishTarget = {
    publish: () => Promise.reject(new Error("unused")),
    isConnected: () => state.connected,
  };
  const delivery = {
    get spooling() {
      return state.spooling;
    },
    get spoolFailure() {
      return state.spoolFailure;
    },
  } as unknown as Delivery;
  const deps: CollectorHealthDeps = {
    target,
    running: () => (state.started ? { delivery, spool } : undefined),
    spoolDir: dir,
    spoolMaxBytes: maxBytes,
    overflow: "reject-new",
    maxRecordBytes,
    server: () => "127.0.0.1:4222",
    streamProblem: () => undefined,
  };
  const checks = createHealthChecks();
  addCollectorHealthChecks(checks, deps);
  return { spool, state, checks };
}

describe("collector readiness", () => {
  it("is not ready before the collector started (no spool open yet)", async () => {
    const { spool, state, checks } = setup(1 << 20, 100);
    state.started = false;
    const states = await checks.run();
    assert.equal(requiredHealthy(states), false);
    assert.equal(states.find((s) => s.name === "spool")?.detail, "not started");
    spool.close();
  });

  it("stays ready while NATS is away, reporting it degraded", async () => {
    const { spool, state, checks } = setup(1 << 20, 100);
    state.connected = false;
    const states = await checks.run();
    assert.equal(requiredHealthy(states), true);
    const nats = states.find((s) => s.name === "nats");
    assert.equal(nats?.healthy, false);
    assert.equal(nats?.required, false);
    assert.match(nats?.detail ?? "", /^degraded since \d{4}-.*not connected; events go to the spool/);
    spool.close();
  });

  it("is not ready once the spool cannot take the largest event, and ready again when it drains", async () => {
    const { spool, checks } = setup(1_000, 500);
    spool.append(new Uint8Array(600));
    const full = await checks.run();
    assert.equal(requiredHealthy(full), false);
    assert.match(full.find((s) => s.name === "spool")?.detail ?? "", /^full: new events are refused/);
    const [record] = spool.read(1);
    spool.commit(record?.next ?? assert.fail(), 1);
    assert.equal(requiredHealthy(await checks.run()), true);
    spool.close();
  });

  it("is not ready while events go to a spool whose last append failed", async () => {
    const { spool, state, checks } = setup(1 << 20, 100);
    state.spoolFailure = "EIO: i/o error, write";
    // Publishing directly again: the failure is history.
    assert.equal(requiredHealthy(await checks.run()), true);
    state.spooling = true;
    const states = await checks.run();
    assert.equal(requiredHealthy(states), false);
    assert.match(states.find((s) => s.name === "spool")?.detail ?? "", /^cannot be written: EIO/);
    spool.close();
  });
});
