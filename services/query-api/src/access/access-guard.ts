import { Code } from "@connectrpc/connect";
import { type MetricFactory, RefusedError, TokenBucket } from "@langtian/service-kit";
import { type ApiKey, type ApiKeys, Role, secretDigest } from "./api-keys.ts";

/** Name of callers without a key (only when no keys are configured and the port is loopback). */
export const ANONYMOUS = "anonymous";

/** The caller of a request. */
export interface Caller {
  readonly name: string;
  readonly role: (typeof Role)[keyof typeof Role];
}

/** Checks every call before its message is read: the key, the role, the key's rate limit. */
export interface AccessGuard {
  /**
   * Identifies the caller from an `Authorization` header value and spends one call of its
   * rate limit. Throws a `RefusedError`: `unauthenticated` (no or unknown key),
   * `permission_denied` (role too low), `resource_exhausted` (rate limit, with retry-after).
   */
  admit(authorization: string | null | undefined, needs: Caller["role"]): Caller;
}

/** Per-key rate limit; 0 calls per second = none. */
export interface RateLimit {
  readonly requestsPerSecond: number;
  readonly burst: number;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const RANK: Record<Caller["role"], number> = { reader: 1, operator: 2 };

/**
 * Creates the guard and registers `query_refused_total{key,reason}`. Without configured keys
 * every caller is {@link ANONYMOUS} with the reader role: the service then listens on loopback
 * only (checked at start by the app).
 */
export function createAccessGuard(keys: ApiKeys, rateLimit: RateLimit, metrics: MetricFactory): AccessGuard {
  const refused = metrics.counter({
    name: "query_refused_total",
    help: "Calls refused by the access checks, by key name (anonymous, or unknown for bad credentials) and reason.",
    labelNames: ["key", "reason"],
  });
  const buckets = new Map<string, TokenBucket>();
  const bucketOf = (name: string): TokenBucket | undefined => {
    if (rateLimit.requestsPerSecond <= 0) return undefined;
    let bucket = buckets.get(name);
    if (bucket === undefined) {
      bucket = new TokenBucket({ ratePerSec: rateLimit.requestsPerSecond, burst: rateLimit.burst });
      buckets.set(name, bucket);
    }
    return bucket;
  };
  const refuse = (
    key: string,
    code: Code,
    reason: string,
    message: string,
    metadata?: Record<string, string>,
  ) => {
    refused.inc({ key, reason });
    return new RefusedError(code, reason, message, metadata === undefined ? {} : { metadata });
  };
  const identify = (authorization: string | null | undefined): ApiKey => {
    if (keys.byDigest.size === 0) return { name: ANONYMOUS, role: Role.reader };
    const secret = BEARER.exec(authorization ?? "")?.[1];
    if (secret === undefined)
      throw refuse(
        "unknown",
        Code.Unauthenticated,
        "missing_credentials",
        "send 'Authorization: Bearer <api key>'",
        {
          "www-authenticate": "Bearer",
        },
      );
    const key = keys.byDigest.get(secretDigest(secret));
    if (key === undefined)
      throw refuse("unknown", Code.Unauthenticated, "invalid_credentials", "API key rejected");
    return key;
  };
  return {
    admit(authorization, needs) {
      const key = identify(authorization);
      if (RANK[key.role] < RANK[needs])
        throw refuse(
          key.name,
          Code.PermissionDenied,
          "role",
          `the ${needs} role is needed; key ${key.name} is ${key.role}`,
        );
      const bucket = bucketOf(key.name);
      if (bucket !== undefined && !bucket.tryTake(1)) {
        const retryAfterS = Math.max(1, Math.ceil(bucket.msUntil(1) / 1000));
        throw refuse(
          key.name,
          Code.ResourceExhausted,
          "rate_limited",
          `rate limit of key ${key.name} reached`,
          {
            "retry-after": String(retryAfterS),
          },
        );
      }
      return key;
    },
  };
}
