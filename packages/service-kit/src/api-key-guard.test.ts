import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { ANONYMOUS, createApiKeyGuard } from "./api-key-guard.ts";
import { parseApiKeys } from "./api-keys.ts";
import { RefusedError } from "./errors.ts";
import { createMetrics } from "./metrics.ts";

const Role = { reader: "reader", operator: "operator" } as const;
const ROLES = [Role.reader, Role.operator];

const ALICE = "alice-secret-0123456789";
const OPS = "ops-secret-0123456789abcd";
const keys = parseApiKeys([`alice:${ALICE}:reader`, `ops:${OPS}:operator`], ROLES);

function setup(rateLimit = { requestsPerSecond: 0, burst: 1 }, withKeys = true) {
  const metrics = createMetrics({ service: "query-api", instanceId: "t", defaultMetrics: false });
  const guard = createApiKeyGuard(withKeys ? keys : parseApiKeys([], ROLES), {
    roles: ROLES,
    anonymousRole: Role.reader,
    rateLimit,
    metrics,
    refusedMetric: "query_refused_total",
  });
  const refused = async () =>
    Object.fromEntries(
      (await metrics.registry.getSingleMetric("langtian_query_api_query_refused_total")?.get())?.values.map(
        (v) => [`${v.labels.key}/${v.labels.reason}`, v.value],
      ) ?? [],
    );
  return { guard, refused };
}

/** The RefusedError `admit` throws. */
function refusal(admit: () => unknown): RefusedError {
  try {
    admit();
  } catch (err) {
    assert.ok(err instanceof RefusedError, `a RefusedError, got ${String(err)}`);
    return err;
  }
  assert.fail("admitted");
}

describe("API key guard", () => {
  it("admits a bearer key with its name and role, the scheme in any case", () => {
    const { guard } = setup();
    assert.deepEqual(guard.admit(`Bearer ${ALICE}`, Role.reader), { name: "alice", role: Role.reader });
    assert.deepEqual(guard.admit(`bearer ${OPS}`, Role.reader), { name: "ops", role: Role.operator });
    assert.deepEqual(guard.admit(`Bearer ${OPS}`, Role.operator), { name: "ops", role: Role.operator });
  });

  it("refuses a missing key with unauthenticated and www-authenticate, a wrong one without", async () => {
    const { guard, refused } = setup();
    for (const header of [undefined, null, "", ALICE, "Basic YWxpY2U6eA=="]) {
      const err = refusal(() => guard.admit(header, Role.reader));
      assert.equal(err.code, Code.Unauthenticated);
      assert.equal(err.reason, "missing_credentials");
      assert.equal(err.metadata.get("www-authenticate"), "Bearer");
    }
    const wrong = refusal(() => guard.admit("Bearer not-a-key-of-ours-0123456789", Role.reader));
    assert.equal(wrong.code, Code.Unauthenticated);
    assert.equal(wrong.reason, "invalid_credentials");
    assert.deepEqual(await refused(), {
      "unknown/missing_credentials": 5,
      "unknown/invalid_credentials": 1,
    });
  });

  it("refuses a reader where the operator role is needed", async () => {
    const { guard, refused } = setup();
    const err = refusal(() => guard.admit(`Bearer ${ALICE}`, Role.operator));
    assert.equal(err.code, Code.PermissionDenied);
    assert.deepEqual(await refused(), { "alice/role": 1 });
  });

  it("limits each key's rate on its own, answering resource_exhausted with retry-after", async () => {
    const { guard, refused } = setup({ requestsPerSecond: 1, burst: 3 });
    for (let i = 0; i < 3; i++) guard.admit(`Bearer ${ALICE}`, Role.reader);
    const err = refusal(() => guard.admit(`Bearer ${ALICE}`, Role.reader));
    assert.equal(err.code, Code.ResourceExhausted);
    assert.equal(err.metadata.get("retry-after"), "1");
    guard.admit(`Bearer ${OPS}`, Role.reader);
    assert.deepEqual(await refused(), { "alice/rate_limited": 1 });
  });

  it("admits anyone as the anonymous reader when no keys are configured", () => {
    const { guard } = setup({ requestsPerSecond: 0, burst: 1 }, false);
    assert.deepEqual(guard.admit(undefined, Role.reader), { name: ANONYMOUS, role: Role.reader });
    assert.deepEqual(guard.admit("Bearer whatever", Role.reader), { name: ANONYMOUS, role: Role.reader });
  });

  it("admits a call without any key as anonymous when asked to, still checking presented keys", async () => {
    const metrics = createMetrics({ service: "admin", instanceId: "t", defaultMetrics: false });
    const guard = createApiKeyGuard(keys, {
      roles: ROLES,
      anonymousRole: Role.reader,
      anonymousWithoutKey: true,
      rateLimit: { requestsPerSecond: 0, burst: 1 },
      metrics,
      refusedMetric: "admin_refused_total",
    });
    assert.deepEqual(guard.admit(undefined, Role.reader), { name: ANONYMOUS, role: Role.reader });
    assert.equal(refusal(() => guard.admit(undefined, Role.operator)).code, Code.Unauthenticated);
    assert.equal(
      refusal(() => guard.admit("Bearer wrong-key-0123456789abcdef", Role.reader)).code,
      Code.Unauthenticated,
    );
    assert.deepEqual(guard.admit(`Bearer ${OPS}`, Role.operator), { name: "ops", role: Role.operator });
  });
});
