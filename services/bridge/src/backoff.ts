/** Exponential backoff with a cap and optional jitter, used for naks and produce retries. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** 0 = none; 0.2 = ±20 % so instances that failed together do not retry together. */
  readonly jitter: number;
}

/** Delay before attempt `attempt + 1` (attempt counts from 1). */
export function backoffMs(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exp = policy.initialMs * 2 ** Math.max(0, Math.min(attempt - 1, 30));
  const base = Math.min(policy.maxMs, exp);
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base + spread));
}
