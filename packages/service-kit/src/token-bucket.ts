/**
 * A token bucket: `ratePerSec` tokens are added per second up to `burst`; taking `n` tokens
 * succeeds only when `n` are there (a request is admitted whole or not at all).
 */

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  readonly ratePerSec: number;
  /** Most tokens held (the bucket starts full). */
  readonly burst: number;
  /** Clock in ms (tests pass a fake one). */
  readonly nowMs?: () => number;
}

/** A token bucket with a monotonic clock. */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly nowMs: () => number;

  constructor(options: TokenBucketOptions) {
    this.ratePerMs = options.ratePerSec / 1000;
    this.burst = options.burst;
    this.nowMs = options.nowMs ?? (() => performance.now());
    this.tokens = options.burst;
    this.lastMs = this.nowMs();
  }

  /** Tokens available now. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Takes `n` tokens if that many are available; otherwise takes none and returns false. */
  tryTake(n: number): boolean {
    this.refill();
    if (n > this.tokens) return false;
    this.tokens -= n;
    return true;
  }

  /** Milliseconds until `n` tokens will be available (Infinity when `n` exceeds the burst). */
  msUntil(n: number): number {
    this.refill();
    if (n > this.burst) return Number.POSITIVE_INFINITY;
    return n <= this.tokens ? 0 : Math.ceil((n - this.tokens) / this.ratePerMs);
  }

  private refill(): void {
    const now = this.nowMs();
    const elapsed = now - this.lastMs;
    if (elapsed <= 0) return;
    this.lastMs = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerMs);
  }
}
