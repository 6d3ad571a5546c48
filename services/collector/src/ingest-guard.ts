/**
 * The checks every push passes before its events are accepted, shared by the Connect `Ingest`
 * RPC and `POST /v1/events`: who is pushing (API key), whether that key may use the events'
 * `source_system`, and its rate limit (a token bucket of events per key). Refusals are
 * `RefusedError`s (counted by the service kit's edge by procedure, code and reason) and are
 * also counted per key here.
 */
import { Code } from "@connectrpc/connect";
import { type MetricFactory, RefusedError, secretDigest, TokenBucket } from "@langtian/service-kit";
import type { AllowedSources, IngestAccess } from "./ingest-access.ts";

/** Principal of pushes without a key (only when keys are not required). */
export const ANONYMOUS = "anonymous";

/** Who is pushing: a configured key, or {@link ANONYMOUS}. */
export interface IngestPrincipal {
  /** The key's name (never its secret). */
  readonly name: string;
  readonly sources: AllowedSources;
  /** The key's rate limit; undefined when there is none. */
  readonly bucket: TokenBucket | undefined;
}

/** Rate limit per key. */
export interface IngestRateLimit {
  /** Events per second; 0 = no limit. */
  readonly eventsPerSecond: number;
  readonly burstEvents: number;
}

/** The push checks. Each throws a `RefusedError` when the push must be refused. */
export interface IngestGuard {
  /** Identifies the pusher from an `Authorization` header value (`Bearer <secret>`). */
  authenticate(authorization: string | null | undefined): IngestPrincipal;
  /** Refuses before the body is read when the pusher has no events left to spend. */
  precheck(principal: IngestPrincipal): void;
  /** Refuses the whole push when any event names a `source_system` the key may not use. */
  authorizeSources(principal: IngestPrincipal, sources: Iterable<string>): void;
  /** Spends `events` from the pusher's rate limit, or refuses the whole push. */
  admit(principal: IngestPrincipal, events: number): void;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Creates the guard and registers `ingest_refused_total{key,reason}`. */
export function createIngestGuard(
  access: IngestAccess,
  rateLimit: IngestRateLimit,
  metrics: MetricFactory,
  nowMs?: () => number,
): IngestGuard {
  const refusedByKey = metrics.counter({
    name: "ingest_refused_total",
    help: "Pushes refused by the ingest checks, by key name (anonymous, or unknown for bad credentials) and reason.",
    labelNames: ["key", "reason"],
  });
  const bucket = (): TokenBucket | undefined =>
    rateLimit.eventsPerSecond > 0
      ? new TokenBucket({
          ratePerSec: rateLimit.eventsPerSecond,
          burst: rateLimit.burstEvents,
          ...(nowMs === undefined ? {} : { nowMs }),
        })
      : undefined;
  const principals = new Map<string, IngestPrincipal>();
  for (const key of access.keys.values()) {
    principals.set(key.digest, { name: key.name, sources: key.sources, bucket: bucket() });
  }
  const anonymous: IngestPrincipal = { name: ANONYMOUS, sources: "any", bucket: bucket() };
  const refuse = (
    key: string,
    code: Code,
    reason: string,
    message: string,
    httpStatus?: number,
    retryAfterMs?: number,
  ) => {
    refusedByKey.inc({ key, reason });
    const metadata: Record<string, string> = {};
    if (code === Code.Unauthenticated) metadata["www-authenticate"] = 'Bearer realm="langtian-collector"';
    if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs))
      metadata["retry-after"] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    return new RefusedError(code, reason, message, {
      metadata,
      ...(httpStatus === undefined ? {} : { httpStatus }),
    });
  };
  const rateRefusal = (p: IngestPrincipal, events: number, b: TokenBucket) =>
    refuse(
      p.name,
      Code.ResourceExhausted,
      "rate_limited",
      `push rate limit of key "${p.name}" reached: ${rateLimit.eventsPerSecond} events/s, bursts up to ${rateLimit.burstEvents}`,
      429,
      b.msUntil(Math.min(events, rateLimit.burstEvents)),
    );

  return {
    authenticate(authorization) {
      if (!access.required) return anonymous;
      const presented = BEARER.exec(authorization ?? "")?.[1];
      if (presented === undefined) {
        throw refuse(
          "unknown",
          Code.Unauthenticated,
          "missing_credentials",
          "push credentials required: send 'Authorization: Bearer <API key>'",
        );
      }
      const principal = principals.get(secretDigest(presented));
      if (principal === undefined) {
        throw refuse("unknown", Code.Unauthenticated, "invalid_credentials", "API key not recognised");
      }
      return principal;
    },
    precheck(p) {
      if (p.bucket !== undefined && p.bucket.available() < 1) throw rateRefusal(p, 1, p.bucket);
    },
    authorizeSources(p, sources) {
      if (p.sources === "any") return;
      for (const source of sources) {
        // An empty source_system is refused per event by envelope validation.
        if (source === "" || p.sources.has(source)) continue;
        throw refuse(
          p.name,
          Code.PermissionDenied,
          "source_not_allowed",
          `key "${p.name}" may not push source_system ${JSON.stringify(source)} (allowed: ${[...p.sources].join(", ")})`,
        );
      }
    },
    admit(p, events) {
      if (p.bucket !== undefined && !p.bucket.tryTake(events)) throw rateRefusal(p, events, p.bucket);
    },
  };
}
