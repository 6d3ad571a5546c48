import { cors } from "@connectrpc/connect";
import type { ServiceFastify } from "@langtian/service-kit";

/** How long a browser may reuse a preflight's answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 7_200;

const ALLOWED_METHODS = [...cors.allowedMethods, "DELETE"].join(", ");
const ALLOWED_HEADERS = [...cors.allowedHeaders, "Authorization"].join(", ");
const EXPOSED_HEADERS = [...cors.exposedHeaders, "Retry-After"].join(", ");

/**
 * CORS for a UI served from another origin (e.g. a desktop shell mapping it to
 * `https://langtian.localhost`): a request whose `Origin` is one of `allowedOrigins` gets the
 * headers Connect, gRPC-Web and `/v1/session` need, and its preflight is answered here (204)
 * before any route runs. Any other origin gets no CORS header, so the browser keeps its
 * same-origin rule. Credentials are never allowed: the session cookie is SameSite=Strict and a
 * UI on another origin sends its key (`Authorization: Bearer`) instead. Nothing is registered
 * when `allowedOrigins` is empty.
 */
export function registerCors(fastify: ServiceFastify, allowedOrigins: readonly string[]): void {
  if (allowedOrigins.length === 0) return;
  const allowed = new Set(allowedOrigins);
  fastify.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    // The answer depends on the Origin: caches must keep one per origin.
    reply.header("vary", "Origin");
    if (!allowed.has(origin)) return;
    reply.header("access-control-allow-origin", origin);
    if (request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined) {
      reply.header("access-control-allow-methods", ALLOWED_METHODS);
      reply.header("access-control-allow-headers", ALLOWED_HEADERS);
      reply.header("access-control-max-age", String(PREFLIGHT_MAX_AGE_S));
      return reply.code(204).send();
    }
    reply.header("access-control-expose-headers", EXPOSED_HEADERS);
  });
}
