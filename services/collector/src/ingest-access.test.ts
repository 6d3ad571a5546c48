import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, isLoopbackHost, loadConfig, secretDigest } from "@langtian/service-kit";
import { collectorConfigSchema } from "./config.ts";
import { parseIngestAccess } from "./ingest-access.ts";

const SECRET = "erp-secret-0123456789abcdef";

function configWith(file: Record<string, unknown>) {
  return loadConfig(collectorConfigSchema, {}, file);
}

describe("ingest access (API keys)", () => {
  it("binds each key to its source systems and requires keys once any is configured", () => {
    const access = parseIngestAccess(
      configWith({
        host: "0.0.0.0",
        ingest: { apiKeys: [`erp:${SECRET}:erp-finance|erp-hr`, "ops:ops:secret:with:colons:*"] },
      }),
    );
    assert.equal(access.required, true);
    const erp = access.keys.get(secretDigest(SECRET));
    assert.equal(erp?.name, "erp");
    assert.deepEqual(erp?.sources, new Set(["erp-finance", "erp-hr"]));
    assert.equal(access.keys.get(secretDigest("ops:secret:with:colons"))?.sources, "any");
  });

  it("is open without keys on loopback only", () => {
    assert.equal(parseIngestAccess(configWith({})).required, false);
    assert.equal(parseIngestAccess(configWith({ host: "::1" })).required, false);
    assert.equal(
      parseIngestAccess(configWith({ host: "0.0.0.0", ingest: { allowUnauthenticated: true } })).required,
      false,
    );
    assert.throws(
      () => parseIngestAccess(configWith({ host: "0.0.0.0" })),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.issues.some((i) => i.path === "ingest.apiKeys" && /beyond loopback/.test(i.expected)),
    );
    assert.deepEqual(
      ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "0.0.0.0", "::", "10.0.0.5"].map(
        isLoopbackHost,
      ),
      [true, true, true, true, true, false, false, false],
    );
  });

  it("lists every problem at once and never quotes a secret", () => {
    const err = (() => {
      try {
        parseIngestAccess(
          configWith({
            host: "0.0.0.0",
            ingest: {
              apiKeys: ["no-colons-here-but-secret", "Bad Name:short:erp", `a:${SECRET}:`, `b:${SECRET}:x`],
              allowUnauthenticated: true,
              maxBatchEvents: 1_000,
              rateLimit: { burstEvents: 10 },
              maxRequestBytes: 1_024,
            },
          }),
        );
      } catch (e) {
        return e;
      }
      assert.fail("expected a ConfigError");
    })();
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(
      err.issues.map((i) => i.path),
      [
        "ingest.apiKeys[0]",
        "ingest.apiKeys[1]",
        "ingest.apiKeys[1]",
        "ingest.apiKeys[2]",
        "ingest.apiKeys[3]",
        "ingest.allowUnauthenticated",
        "ingest.rateLimit.burstEvents",
        "ingest.maxRequestBytes",
      ],
    );
    assert.doesNotMatch(err.message, /no-colons|short|0123456789abcdef/);
  });
});
