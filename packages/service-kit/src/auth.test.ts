import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, type ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { LifecycleService } from "@langtian/proto";
import { createOperatorAuth, operatorAuthInterceptor } from "./auth.ts";
import { OperatorAuthError, OperatorAuthFailure } from "./errors.ts";

const TOKEN = "s3cr3t-operator-token";

function failureOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OperatorAuthError);
    return err.failure;
  }
  return undefined;
}

describe("operator auth", () => {
  it("accepts the configured bearer token, case-insensitive scheme", () => {
    const auth = createOperatorAuth(TOKEN);
    assert.equal(auth.enabled, true);
    assert.equal(
      failureOf(() => auth.verify(`Bearer ${TOKEN}`)),
      undefined,
    );
    assert.equal(
      failureOf(() => auth.verify(`bearer ${TOKEN}`)),
      undefined,
    );
  });

  it("says missing without a bearer token and mismatch with a wrong one of any length", () => {
    const auth = createOperatorAuth(TOKEN);
    assert.equal(
      failureOf(() => auth.verify(undefined)),
      OperatorAuthFailure.missing,
    );
    assert.equal(
      failureOf(() => auth.verify(`Basic ${TOKEN}`)),
      OperatorAuthFailure.missing,
    );
    assert.equal(
      failureOf(() => auth.verify("Bearer x")),
      OperatorAuthFailure.mismatch,
    );
    assert.equal(
      failureOf(() => auth.verify(`Bearer ${TOKEN}x`)),
      OperatorAuthFailure.mismatch,
    );
  });

  it("disables mutations with a clear message when no token is configured", () => {
    const auth = createOperatorAuth(undefined, "LANGTIAN_BRIDGE_OPERATOR_TOKEN");
    assert.equal(auth.enabled, false);
    assert.throws(
      () => auth.verify(`Bearer ${TOKEN}`),
      (err: OperatorAuthError) =>
        err.failure === OperatorAuthFailure.disabled && /LANGTIAN_BRIDGE_OPERATOR_TOKEN/.test(err.message),
    );
  });

  it("guards only the mutating methods, with Unauthenticated or PermissionDenied", async () => {
    const interceptor = operatorAuthInterceptor(createOperatorAuth(TOKEN), [LifecycleService.method.drain]);
    const transport = createRouterTransport(
      (router) =>
        router.service(LifecycleService, {
          health: () => ({ live: true }),
          status: () => ({}),
          drain: () => ({ deadlineExceeded: false }),
        }),
      { router: { interceptors: [interceptor] } },
    );
    const client = createClient(LifecycleService, transport);
    assert.equal((await client.health({})).live, true, "non-mutating methods need no token");
    await assert.rejects(client.drain({}), (err: ConnectError) => err.code === Code.Unauthenticated);
    await assert.rejects(
      client.drain({}, { headers: { authorization: "Bearer wrong" } }),
      (err: ConnectError) => err.code === Code.PermissionDenied,
    );
    const ok = await client.drain({}, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.deadlineExceeded, false);
  });

  it("answers PermissionDenied naming the setting when mutations are disabled", async () => {
    const interceptor = operatorAuthInterceptor(createOperatorAuth(""), [LifecycleService.method.drain]);
    const transport = createRouterTransport(
      (router) => router.service(LifecycleService, { drain: () => ({}) }),
      { router: { interceptors: [interceptor] } },
    );
    const client = createClient(LifecycleService, transport);
    await assert.rejects(
      client.drain({}, { headers: { authorization: `Bearer ${TOKEN}` } }),
      (err: ConnectError) =>
        err.code === Code.PermissionDenied && /operator actions are disabled/.test(err.rawMessage),
    );
  });
});
