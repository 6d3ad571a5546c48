import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LifecycleService } from "@langtian/proto";
import { loadConfig } from "./config.ts";
import { defineConfigSchema } from "./config-schema.ts";
import { createServiceApp } from "./service-app.ts";
import type { ServiceConfig } from "./service-config.ts";
import { serviceFields } from "./service-config.ts";

const TOKEN = "unit-operator-token-123";
const schema = defineConfigSchema("unit", serviceFields({ port: 0 }));

function config(env: Record<string, string> = {}): ServiceConfig {
  return loadConfig(schema, {
    LANGTIAN_UNIT_LOG_LEVEL: "silent",
    LANGTIAN_UNIT_INSTANCE_ID: "u-1",
    LANGTIAN_UNIT_OPERATOR_TOKEN: TOKEN,
    ...env,
  });
}

async function rpc(app: ReturnType<typeof createServiceApp>, method: string, body: unknown, token?: string) {
  const res = await app.fastify.inject({
    method: "POST",
    url: `/langtian.lifecycle.v1.LifecycleService/${method}`,
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    payload: JSON.stringify(body),
  });
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
}

describe("createServiceApp (in memory, app.inject)", () => {
  it("answers /healthz while alive and /readyz 503 until running", async (t) => {
    const app = createServiceApp({ schema, config: config(), version: "1.0.0" });
    t.after(() => app.close());
    const healthz = await app.fastify.inject({ url: "/healthz" });
    assert.equal(healthz.statusCode, 200);
    assert.deepEqual(healthz.json(), {
      live: true,
      phase: "starting",
      service: "unit",
      instanceId: "u-1",
      version: "1.0.0",
    });
    assert.equal((await app.fastify.inject({ url: "/readyz" })).statusCode, 503);
    app.lifecycle.markRunning();
    const readyz = await app.fastify.inject({ url: "/readyz" });
    assert.equal(readyz.statusCode, 200);
    assert.equal(readyz.json().ready, true);
  });

  it("is not ready while a required dependency is unhealthy, and lists every dependency", async (t) => {
    let natsUp = false;
    const app = createServiceApp({
      schema,
      config: config(),
      version: "1",
      checks: [{ name: "nats", check: () => ({ healthy: natsUp, detail: natsUp ? "up" : "down" }) }],
    });
    t.after(() => app.close());
    app.health.add({
      name: "metrics-sink",
      required: false,
      check: () => ({ healthy: false, detail: "off" }),
    });
    app.lifecycle.markRunning();
    const down = await app.fastify.inject({ url: "/readyz" });
    assert.equal(down.statusCode, 503);
    assert.deepEqual(down.json().dependencies, [
      { name: "nats", required: true, healthy: false, detail: "down" },
      { name: "metrics-sink", required: false, healthy: false, detail: "off" },
    ]);
    natsUp = true;
    assert.equal((await app.fastify.inject({ url: "/readyz" })).statusCode, 200);
  });

  it("serves the app's own registry as Prometheus text on /metrics", async (t) => {
    const app = createServiceApp({ schema, config: config(), version: "1" });
    t.after(() => app.close());
    app.metrics.counter({ name: "events_total", help: "Events." }).inc(5);
    await rpc(app, "Health", {});
    const res = await app.fastify.inject({ url: "/metrics" });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
    assert.match(res.body, /^langtian_unit_events_total\{service="unit",instance_id="u-1"\} 5$/m);
    assert.match(
      res.body,
      /^langtian_unit_rpc_requests_total\{method="langtian.lifecycle.v1.LifecycleService\/Health",code="ok",service="unit",instance_id="u-1"\} 1$/m,
    );
    assert.match(
      res.body,
      /^langtian_unit_lifecycle_phase\{phase="starting",service="unit",instance_id="u-1"\} 1$/m,
    );
  });

  it("answers LifecycleService Health and Status over Connect with identity, phase and counters", async (t) => {
    const app = createServiceApp({ schema, config: config(), version: "2.0.0" });
    t.after(() => app.close());
    app.lifecycle.addCounters(() => ({ published: 3 }));
    app.lifecycle.markRunning();
    const health = await rpc(app, "Health", {});
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, {
      service: "unit",
      instanceId: "u-1",
      version: "2.0.0",
      live: true,
      ready: true,
      phase: "PHASE_RUNNING",
    });
    const status = await rpc(app, "Status", {});
    assert.equal(status.body.phase, "PHASE_RUNNING");
    assert.deepEqual(status.body.counters, { published: 3 });
  });

  it("drains over Connect only with the operator token, idempotently, and turns /readyz to 503", async (t) => {
    const app = createServiceApp({ schema, config: config(), version: "1" });
    t.after(() => app.close());
    let hookRuns = 0;
    app.lifecycle.onDrain({ name: "h", run: () => void hookRuns++ });
    app.lifecycle.markRunning();
    const noToken = await rpc(app, "Drain", {});
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.code, "unauthenticated");
    const wrong = await rpc(app, "Drain", {}, "nope-nope-nope-nope");
    assert.equal(wrong.status, 403);
    assert.equal(app.lifecycle.phase, "running");
    const first = await rpc(app, "Drain", { deadlineMs: 5000 }, TOKEN);
    assert.deepEqual(first.body, { phase: "PHASE_DRAINED" });
    const second = await rpc(app, "Drain", {}, TOKEN);
    assert.deepEqual(second.body, { phase: "PHASE_DRAINED" });
    assert.equal(hookRuns, 1);
    assert.equal((await app.fastify.inject({ url: "/readyz" })).statusCode, 503);
  });

  it("reports deadline_exceeded when a drain hook outlives the requested deadline", async (t) => {
    const app = createServiceApp({ schema, config: config(), version: "1" });
    t.after(() => app.close());
    app.lifecycle.onDrain({
      name: "stuck",
      run: () => new Promise<void>(() => {}),
    });
    const res = await rpc(app, "Drain", { deadlineMs: 20 }, TOKEN);
    assert.deepEqual(res.body, { phase: "PHASE_DRAINING", deadlineExceeded: true });
  });

  it("refuses Drain with a clear message when no operator token is configured", async (t) => {
    const app = createServiceApp({
      schema,
      config: config({ LANGTIAN_UNIT_OPERATOR_TOKEN: "" }),
      version: "1",
    });
    t.after(() => app.close());
    const res = await rpc(app, "Drain", {}, TOKEN);
    assert.equal(res.status, 403);
    assert.equal(res.body.code, "permission_denied");
    assert.match(String(res.body.message), /disabled.*LANGTIAN_UNIT_OPERATOR_TOKEN/);
  });

  it("guards the service's own mutating methods too", async (t) => {
    const app = createServiceApp({
      schema,
      config: config(),
      version: "1",
      mutatingMethods: [LifecycleService.method.status],
    });
    t.after(() => app.close());
    assert.equal((await rpc(app, "Status", {})).status, 401);
    assert.equal((await rpc(app, "Status", {}, TOKEN)).status, 200);
    assert.equal((await rpc(app, "Health", {})).status, 200);
  });

  it("protects admin HTTP routes with requireOperator (401 without, 403 wrong, 200 right)", async (t) => {
    const app = createServiceApp({ schema, config: config(), version: "1" });
    t.after(() => app.close());
    app.fastify.post("/admin/reset", { preHandler: app.requireOperator }, async () => ({ reset: true }));
    const none = await app.fastify.inject({ method: "POST", url: "/admin/reset" });
    assert.equal(none.statusCode, 401);
    assert.equal(none.headers["www-authenticate"], "Bearer");
    const wrong = await app.fastify.inject({
      method: "POST",
      url: "/admin/reset",
      headers: { authorization: "Bearer x" },
    });
    assert.equal(wrong.statusCode, 403);
    assert.deepEqual(wrong.json(), { code: "permission_denied", message: "operator token rejected" });
    assert.match(
      await app.metrics.text(),
      /^langtian_unit_rpc_requests_refused_total\{procedure="\/admin\/reset",code="permission_denied",reason="operator_token_mismatch".*\} 1$/m,
    );
    const ok = await app.fastify.inject({
      method: "POST",
      url: "/admin/reset",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.deepEqual(ok.json(), { reset: true });
  });

  it("makes up an instance id when none is configured and needs a name", () => {
    const app = createServiceApp({
      name: "n",
      config: config({ LANGTIAN_UNIT_INSTANCE_ID: "" }),
      version: "1",
    });
    assert.match(app.instanceId, /^[0-9a-f-]{36}$/);
    assert.equal(app.service, "n");
    assert.throws(() => createServiceApp({ config: config(), version: "1" }), TypeError);
  });
});
