import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, secretPaths } from "@langtian/service-kit";
import { adminConfigSchema, loadAdminConfig, queryApiUrl } from "./config.ts";

const instances = [
  "collector-1=collector@http://10.0.0.4:4101",
  "query-api-1=query-api@http://10.0.0.7:4104/",
  "query-api-2=query-api@http://10.0.0.8:4104",
];

describe("admin configuration", () => {
  it("forwards QueryService to queryApi.url, else to the deployment's first query API, else nowhere", () => {
    assert.equal(queryApiUrl(loadAdminConfig({}, { deployment: { instances } })), "http://10.0.0.7:4104");
    assert.equal(
      queryApiUrl(
        loadAdminConfig({}, { deployment: { instances }, queryApi: { url: "https://query.example:8443/" } }),
      ),
      "https://query.example:8443",
    );
    assert.equal(queryApiUrl(loadAdminConfig({}, { deployment: { instances: [instances[0]] } })), "");
    assert.equal(
      queryApiUrl(loadAdminConfig({ LANGTIAN_ADMIN_QUERY_API_URL: "http://127.0.0.1:4104" }, {})),
      "http://127.0.0.1:4104",
    );
  });

  it("keeps the query API key secret and CORS off by default", () => {
    const config = loadAdminConfig({ LANGTIAN_ADMIN_QUERY_API_KEY: "admin-at-query-0123456789" });
    assert.equal(config.queryApi.key, "admin-at-query-0123456789");
    assert.deepEqual(config.web.allowedOrigins, []);
    assert.equal(loadAdminConfig({}).queryApi.key, undefined);
    assert.ok(secretPaths(adminConfigSchema).includes("queryApi.key"), "redacted in logs and errors");
  });

  it("reports a query API URL or an origin that is not one", () => {
    assert.throws(
      () =>
        loadAdminConfig(
          {},
          {
            queryApi: { url: "query-api:4104" },
            web: { allowedOrigins: ["https://langtian.localhost", "https://ui.example/app", "*"] },
          },
        ),
      (err: unknown) =>
        err instanceof ConfigError &&
        JSON.stringify(err.issues.map((i) => i.path)) ===
          JSON.stringify(["queryApi.url", "web.allowedOrigins[1]", "web.allowedOrigins[2]"]),
    );
  });

  it("takes a trace viewer URL only with {traceId} in it", () => {
    assert.equal(loadAdminConfig({}).web.traceUrl, "");
    const jaeger = "http://127.0.0.1:16686/trace/{traceId}";
    assert.equal(loadAdminConfig({ LANGTIAN_ADMIN_WEB_TRACE_URL: jaeger }).web.traceUrl, jaeger);
    assert.throws(
      () => loadAdminConfig({}, { web: { traceUrl: "http://127.0.0.1:16686/trace/" } }),
      (err: unknown) => err instanceof ConfigError && err.issues.some((i) => i.path === "web.traceUrl"),
    );
  });
});
