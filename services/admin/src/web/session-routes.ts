import { Code } from "@connectrpc/connect";
import { type ApiKey, type ApiKeyGuard, RefusedError, type ServiceFastify } from "@langtian/service-kit";
import { Role } from "../access/admin-access.ts";
import type { Sessions } from "./sessions.ts";

/** Path of the UI's login, logout and "who am I". */
export const SESSION_PATH = "/v1/session";

/**
 * The UI's sessions over plain HTTP JSON: `POST /v1/session {"key": "<secret>"}` checks the key
 * like any call (refusals counted, rate limited) and sets the HttpOnly, SameSite=Strict session
 * cookie; `GET` answers who the session is; `DELETE` ends it. The key itself never reaches the
 * browser's storage: scripts cannot read the cookie, and other sites cannot send it.
 */
export function registerSessionRoutes(
  fastify: ServiceFastify,
  guard: ApiKeyGuard<Role>,
  sessions: Sessions,
  links: SessionLinks = {},
): void {
  // What the UI is told beside who the caller is: where the deployment's traces are shown.
  const answer = (caller: { name: string; role: Role }) => ({
    name: caller.name,
    role: caller.role,
    ...(links.traceUrl ? { traceUrl: links.traceUrl } : {}),
  });
  fastify.post(SESSION_PATH, { bodyLimit: 4096 }, async (request, reply) => {
    const key = (request.body as { key?: unknown } | null)?.key;
    if (typeof key !== "string" || key === "")
      throw new RefusedError(Code.InvalidArgument, "invalid_body", 'send {"key": "<api key>"}');
    const caller = guard.admit(`Bearer ${key}`, Role.viewer);
    if (caller.name === "anonymous")
      throw new RefusedError(
        Code.FailedPrecondition,
        "no_keys",
        "this admin has no keys: nothing to log in with",
      );
    reply.header("set-cookie", sessions.open(caller));
    return answer(caller);
  });
  // Who the UI is: its session; else the bearer key a cross-origin UI sends; else anonymous,
  // when this admin lets callers without a key view (no keys configured, loopback only).
  fastify.get(SESSION_PATH, async (request) => {
    const authorization = request.headers.authorization;
    const caller =
      sessions.callerOf(request.headers.cookie) ??
      (authorization === undefined ? anonymousViewer(guard) : guard.admit(authorization, Role.viewer));
    if (caller === undefined)
      throw new RefusedError(Code.Unauthenticated, "no_session", "no session: log in with POST /v1/session", {
        httpStatus: 401,
      });
    return answer(caller);
  });
  fastify.delete(SESSION_PATH, async (request, reply) => {
    reply.header("set-cookie", sessions.close(request.headers.cookie));
    return {};
  });
}

/** Links of the deployment the UI shows (see the admin's `web` config). */
export interface SessionLinks {
  /** A URL with `{traceId}` where a trace is shown; empty or absent: no link. */
  readonly traceUrl?: string;
}

/** The anonymous viewer, when callers without a key may view; undefined when they need a key. */
function anonymousViewer(guard: ApiKeyGuard<Role>): ApiKey<Role> | undefined {
  try {
    return guard.admit(null, Role.viewer);
  } catch {
    return undefined;
  }
}
