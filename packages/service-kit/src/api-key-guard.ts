import { Code } from "@connectrpc/connect";
import type { ApiKey, ApiKeys } from "./api-keys.ts";
import { secretDigest } from "./api-keys.ts";
import { RefusedError } from "./errors.ts";
import type { MetricFactory } from "./metrics.ts";
import { TokenBucket } from "./token-bucket.ts";

/** Name of callers without a key (only when no keys are configured and the port is loopback). */
export const ANONYMOUS = "anonymous";

/** Checks every call before its message is read: the key, the role, the key's rate limit. */
export interface ApiKeyGuard<R extends string> {
  /**
   * Identifies the caller from an `Authorization` header value and spends one call of its
   * rate limit. Throws a `RefusedError`: `unauthenticated` (no or unknown key),
   * `permission_denied` (role too low), `resource_exhausted` (rate limit, with retry-after).
   */
  admit(authorization: string | null | undefined, needs: R): ApiKey<R>;
  /**
   * The same checks (role, rate limit) for a caller identified another way (a UI session
   * opened with a key), without presenting the key again.
   */
  admitKnown(key: ApiKey<R>, needs: R): ApiKey<R>;
}

/** Options of {@link createApiKeyGuard}. */
export interface ApiKeyGuardOptions<R extends string> {
  /** The service's roles, lowest first: a role may do what every role before it may. */
  readonly roles: readonly R[];
  /** The role of callers when no keys are configured (the service then listens on loopback only). */
  readonly anonymousRole: R;
  /**
   * Also admit a call that presents no key at all, with `anonymousRole`, when keys are
   * configured (e.g. read-only viewing on a loopback-only service). Default false.
   */
  readonly anonymousWithoutKey?: boolean;
  /** Calls per second per key (0 = no limit) and the calls a key may make at once. */
  readonly rateLimit: { readonly requestsPerSecond: number; readonly burst: number };
  readonly metrics: MetricFactory;
  /** Name of the refusal counter, e.g. `query_refused_total`. */
  readonly refusedMetric: string;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Creates the guard and registers `<refusedMetric>{key,reason}`. */
export function createApiKeyGuard<R extends string>(
  keys: ApiKeys<R>,
  o: ApiKeyGuardOptions<R>,
): ApiKeyGuard<R> {
  const refused = o.metrics.counter({
    name: o.refusedMetric,
    help: "Calls refused by the access checks, by key name (anonymous, or unknown for bad credentials) and reason.",
    labelNames: ["key", "reason"],
  });
  const rank = (role: R) => o.roles.indexOf(role);
  const buckets = new Map<string, TokenBucket>();
  const bucketOf = (name: string): TokenBucket | undefined => {
    if (o.rateLimit.requestsPerSecond <= 0) return undefined;
    let bucket = buckets.get(name);
    if (bucket === undefined) {
      bucket = new TokenBucket({ ratePerSec: o.rateLimit.requestsPerSecond, burst: o.rateLimit.burst });
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
  const identify = (authorization: string | null | undefined): ApiKey<R> => {
    if (keys.byDigest.size === 0) return { name: ANONYMOUS, role: o.anonymousRole };
    if (o.anonymousWithoutKey === true && (authorization ?? "") === "")
      return { name: ANONYMOUS, role: o.anonymousRole };
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
  const check = (key: ApiKey<R>, needs: R): ApiKey<R> => {
    // Without a key, a call that needs more than anonymous callers may do needs credentials.
    if (key.name === ANONYMOUS && rank(key.role) < rank(needs))
      throw refuse(
        key.name,
        Code.Unauthenticated,
        "missing_credentials",
        `the ${needs} role is needed: send 'Authorization: Bearer <api key>'`,
        {
          "www-authenticate": "Bearer",
        },
      );
    if (rank(key.role) < rank(needs))
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
  };
  return {
    admit: (authorization, needs) => check(identify(authorization), needs),
    admitKnown: check,
  };
}
