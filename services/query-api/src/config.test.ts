import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, redactConfig } from "@langtian/service-kit";
import { loadQueryApiConfig, queryApiConfigSchema } from "./config.ts";

/** The ConfigError `load` throws (fails the test when it does not throw one). */
function configErrorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail("the configuration was accepted");
}

const READER = "alice:alice-secret-0123456789:reader";
const OPERATOR = "ops:ops-secret-0123456789abcd:operator";

describe("query API config", () => {
  it("defaults to loopback without keys, the SQLite catalog and bounded statements", () => {
    const config = loadQueryApiConfig({});
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.port, 4104);
    assert.equal(config.lake.catalog, "sqlite");
    assert.deepEqual(config.access.apiKeys, []);
    assert.equal(config.access.requestsPerSecond, 50);
    assert.equal(config.access.burst, 100);
    assert.equal(config.limits.sqlTimeoutMs, 30_000);
    assert.equal(config.limits.maxSqlTimeoutMs, 300_000);
    assert.equal(config.limits.maxSqlRows, 100_000);
  });

  it("reads keys from the env as a comma-separated list and redacts them", () => {
    const config = loadQueryApiConfig({ LANGTIAN_QUERY_API_ACCESS_API_KEYS: `${READER},${OPERATOR}` });
    assert.deepEqual(config.access.apiKeys, [READER, OPERATOR]);
    const shown = JSON.stringify(redactConfig(queryApiConfigSchema, config));
    assert.ok(!shown.includes("alice-secret"), `no secret in ${shown}`);
  });

  it("lists every bad key entry at once, never the secret", () => {
    const err = configErrorOf(() =>
      loadQueryApiConfig(
        {},
        {
          access: {
            apiKeys: [
              "no-colons",
              "Bob:bob-secret-0123456789:reader",
              "carol:short:reader",
              "dave:dave-secret-0123456789:admin",
              READER,
              "alice:another-secret-0123456789:reader",
              "erin:alice-secret-0123456789:operator",
            ],
          },
        },
      ),
    );
    const issues = err.issues.map((i) => `${i.path}: ${i.expected}`);
    assert.deepEqual(issues, [
      'access.apiKeys[0]: "name:secret:role"',
      "access.apiKeys[1]: a lower-case key name ([a-z0-9_.-])",
      "access.apiKeys[2]: a secret of at least 16 characters",
      "access.apiKeys[3]: a role: reader or operator",
      "access.apiKeys[5]: a unique key name",
      "access.apiKeys[6]: a unique secret",
    ]);
    assert.ok(!err.message.includes("secret-0123456789"), err.message);
    assert.ok(!err.message.includes("short"), err.message);
  });

  it("refuses a default statement time limit above the largest one", () => {
    const err = configErrorOf(() =>
      loadQueryApiConfig({
        LANGTIAN_QUERY_API_LIMITS_SQL_TIMEOUT_MS: "60000",
        LANGTIAN_QUERY_API_LIMITS_MAX_SQL_TIMEOUT_MS: "10000",
      }),
    );
    assert.deepEqual(
      err.issues.map((i) => [i.path, i.expected, i.got]),
      [["limits.sqlTimeoutMs", "at most limits.maxSqlTimeoutMs (10000)", "60000"]],
    );
  });

  it("lists problems of different sections together", () => {
    const err = configErrorOf(() =>
      loadQueryApiConfig({
        LANGTIAN_QUERY_API_ACCESS_API_KEYS: "x",
        LANGTIAN_QUERY_API_LIMITS_SQL_TIMEOUT_MS: "400000",
      }),
    );
    assert.deepEqual(
      err.issues.map((i) => i.path),
      ["access.apiKeys[0]", "limits.sqlTimeoutMs"],
    );
  });
});
