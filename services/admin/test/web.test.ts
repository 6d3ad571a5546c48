import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir, testNatsUrl, uniqueName } from "@langtian/testing";
import { type AdminApp, createApp } from "../src/app.ts";
import { loadAdminConfig } from "../src/config.ts";

const VIEWER = "viewer-secret-0123456789";
const OPERATOR = "operator-secret-0123456789";

/** The admin serves the built UI (caching, SPA fallback, nothing outside it) and its cookie sessions. */
describe("admin web UI serving and sessions", () => {
  let app: AdminApp;
  let url: string;

  before(async () => {
    const dir = tempDir("admin-web");
    const web = join(dir, "dist");
    mkdirSync(join(web, "assets"), { recursive: true });
    writeFileSync(join(web, "index.html"), "<!doctype html><title>Langtian</title><div id=root></div>");
    writeFileSync(join(web, "assets", "app-3f9a1c.js"), "console.log('app')");
    writeFileSync(join(web, "favicon.svg"), "<svg/>");
    writeFileSync(join(dir, "secret.txt"), "outside the UI");
    app = createApp(
      loadAdminConfig(
        {},
        {
          port: 0,
          logLevel: "warn",
          access: { apiKeys: [`ana:${VIEWER}:viewer`, `olga:${OPERATOR}:operator`] },
          web: { dir: web, traceUrl: "http://127.0.0.1:16686/trace/{traceId}" },
          nats: { url: await testNatsUrl(), streams: [] },
          kafka: { topics: [] },
          audit: { stream: uniqueName("AUDIT").toUpperCase() },
          lake: { catalog: "sqlite", catalogPath: join(dir, "none.sqlite"), dataPath: join(dir, "data") },
        },
      ),
    );
    await app.start();
    url = (await app.service.listen()).url;
  });
  after(() => app?.stop());

  it("serves index.html revalidated, hashed assets cached for a year, and the app's routes", async () => {
    const index = await fetch(`${url}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get("content-type") ?? "", /text\/html/);
    assert.equal(index.headers.get("cache-control"), "no-cache");
    assert.match(await index.text(), /<div id=root>/);
    const asset = await fetch(`${url}/assets/app-3f9a1c.js`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal((await fetch(`${url}/favicon.svg`)).headers.get("cache-control"), "no-cache");
    const route = await fetch(`${url}/events/0190b7c0-0000-7000-8000-000000000001?table=t`);
    assert.equal(route.status, 200, "a route of the single-page app gets index.html");
    assert.match(await route.text(), /<div id=root>/);
    assert.ok(index.headers.get("etag") !== null, "an ETag to revalidate with");
  });

  it("answers 404 for missing files and never serves outside the UI folder; the API keeps its paths", async () => {
    assert.equal((await fetch(`${url}/assets/missing-000.js`)).status, 404);
    for (const path of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"]) {
      const res = await fetch(`${url}${path}`);
      assert.ok(res.status === 404 || !(await res.text()).includes("outside the UI"), path);
    }
    const health = await fetch(`${url}/healthz`);
    assert.match(health.headers.get("content-type") ?? "", /json/);
    const unknownRpc = await fetch(`${url}/langtian.admin.v1.AdminService/Nope`, { method: "POST" });
    assert.equal(unknownRpc.status, 404);
  });

  it("logs in with a key into an HttpOnly, SameSite=Strict cookie the API accepts, by role", async () => {
    const post = (key: string) =>
      fetch(`${url}/v1/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key }),
      });
    assert.equal((await post("not-a-key-of-ours-0123456789")).status, 401);
    const viewer = await post(VIEWER);
    assert.equal(viewer.status, 200);
    assert.deepEqual((await viewer.json()) as object, {
      name: "ana",
      role: "viewer",
      traceUrl: "http://127.0.0.1:16686/trace/{traceId}",
    });
    const cookie = viewer.headers.get("set-cookie") ?? assert.fail("a session cookie");
    assert.match(cookie, /^langtian_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const session = cookie.split(";")[0] ?? "";

    const call = (method: string, body: string, cookieHeader: string) =>
      fetch(`${url}/langtian.admin.v1.AdminService/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie: cookieHeader },
        body,
      });
    assert.equal((await call("ListAudit", "{}", session)).status, 200, "a viewer session views");
    const refused = await call("ReplayDeadLetters", '{"ids":["x"]}', session);
    assert.equal(
      ((await refused.json()) as { code: string }).code,
      "permission_denied",
      "a viewer session cannot change anything",
    );
    const who = (await (await fetch(`${url}/v1/session`, { headers: { cookie: session } })).json()) as {
      name: string;
    };
    assert.equal(who.name, "ana");

    const operator = (await post(OPERATOR)).headers.get("set-cookie")?.split(";")[0] ?? "";
    const drained = await call("ListAudit", "{}", operator);
    assert.equal(drained.status, 200);

    const out = await fetch(`${url}/v1/session`, { method: "DELETE", headers: { cookie: session } });
    assert.match(out.headers.get("set-cookie") ?? "", /Max-Age=0/);
    assert.equal((await call("ListAudit", "{}", session)).status, 401, "the session is gone");
    assert.equal((await fetch(`${url}/v1/session`, { headers: { cookie: session } })).status, 401);
  });

  it("answers who a bearer key is (a UI on another origin), and refuses a call without any key here", async () => {
    const who = await fetch(`${url}/v1/session`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    // With the deployment's trace viewer, where the UI links an event's trace.
    assert.deepEqual((await who.json()) as object, {
      name: "olga",
      role: "operator",
      traceUrl: "http://127.0.0.1:16686/trace/{traceId}",
    });
    const wrong = await fetch(`${url}/v1/session`, {
      headers: { authorization: "Bearer not-ours-0123456789xx" },
    });
    assert.equal(wrong.status, 401);
    assert.equal((await fetch(`${url}/v1/session`)).status, 401, "keys configured: no anonymous viewer");
  });
});
