/**
 * Operator-token authentication for mutating RPCs and admin HTTP routes: a bearer token
 * compared in constant time. Without a configured token, mutations are disabled.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { DescMethod } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import type { FastifyReply, FastifyRequest } from "fastify";
import { OperatorAuthError, OperatorAuthFailure, toConnectError } from "./errors.ts";

/** Verifies operator credentials. */
export interface OperatorAuth {
  /** True when a token is configured (mutations possible at all). */
  readonly enabled: boolean;
  /**
   * Checks an `Authorization` header value.
   * @throws OperatorAuthError (`disabled`, `missing` or `mismatch`).
   */
  verify(authorization: string | null | undefined): void;
}

/** Creates the verifier; `token` undefined or empty disables mutations. */
export function createOperatorAuth(
  token: string | undefined,
  envHint = "the operatorToken setting",
): OperatorAuth {
  // Digests have equal length whatever the token lengths, which timingSafeEqual requires,
  // and comparing them reveals nothing about the token's length.
  const expected = token === undefined || token === "" ? undefined : digest(token);
  return {
    enabled: expected !== undefined,
    verify(authorization) {
      if (expected === undefined) {
        throw new OperatorAuthError(
          OperatorAuthFailure.disabled,
          `operator actions are disabled: no operator token is configured (set ${envHint})`,
        );
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
      const presented = match?.[1];
      if (presented === undefined) {
        throw new OperatorAuthError(
          OperatorAuthFailure.missing,
          "operator token required: send 'Authorization: Bearer <token>'",
        );
      }
      if (!timingSafeEqual(digest(presented), expected)) {
        throw new OperatorAuthError(OperatorAuthFailure.mismatch, "operator token rejected");
      }
    },
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Key of a method in the mutating set: `package.Service/Method`. */
export function methodKey(method: Pick<DescMethod, "name" | "parent">): string {
  return `${method.parent.typeName}/${method.name}`;
}

/**
 * A Connect interceptor that requires the operator token on the given mutating methods and
 * lets every other method through. Failures become `Unauthenticated` (no token) or
 * `PermissionDenied` (wrong token, or mutations disabled).
 */
export function operatorAuthInterceptor(
  auth: OperatorAuth,
  mutatingMethods: readonly DescMethod[],
): Interceptor {
  const guarded = new Set(mutatingMethods.map(methodKey));
  return (next) => async (req) => {
    if (guarded.has(methodKey(req.method))) {
      try {
        auth.verify(req.header.get("authorization"));
      } catch (err) {
        throw toConnectError(err);
      }
    }
    return next(req);
  };
}

/**
 * A Fastify `preHandler` for admin HTTP routes: 401 `unauthenticated` without a token, 403
 * `permission_denied` with a wrong one or when mutations are disabled, answered and counted
 * by the app's error path (`{"code", "message"}`).
 */
export function requireOperator(auth: OperatorAuth) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    try {
      auth.verify(request.headers.authorization);
    } catch (err) {
      throw toConnectError(err);
    }
  };
}
