import { BUCKET_MS } from "./frame-sender.ts";

/**
 * Latency percentiles of one fixed-rate step, in ms, over every event sent: a percentile that
 * falls among events not yet visible when the step ended is `null` (longer than the wait).
 */
export interface LatencySummary {
  /** Events whose first visibility was seen. */
  readonly events: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  /** The longest latency seen. */
  readonly max: number;
}

/** Latencies above this go into the last bin (ms). */
const MAX_MS = 600_000;

/**
 * Send → first visible, per event, from two streams of counts: how many frames the sender sent
 * in each 10 ms bucket of send time (and their summed send times), and how many rows of each
 * bucket a poll of the query API saw. When a poll at time t sees k more rows of a bucket than
 * the poll before, k events became visible at t, each `t - mean send time of the bucket` late
 * (the sender stamps every frame of one pacing tick with one time, so a bucket holds one or a
 * few send times a millisecond apart).
 */
export function createVisibilityTracker() {
  const buckets = new Map<number, { sent: number; sumMs: number; seen: number; firstSentMs: number }>();
  let histogram = new Uint32Array(MAX_MS + 1);
  let recorded = 0;
  let abandoned = 0;
  return {
    /** Adds what the sender reported: [bucket, count, sum of send ms]. */
    sent(entries: readonly (readonly [number, number, number])[]): void {
      for (const [bucket, count, sumMs] of entries) {
        const b = buckets.get(bucket) ?? { sent: 0, sumMs: 0, seen: 0, firstSentMs: sumMs / count };
        b.sent += count;
        b.sumMs += sumMs;
        buckets.set(bucket, b);
      }
    },
    /** Adds one poll's result ([bucket, rows visible]) seen at `visibleAtMs`. */
    seen(rows: readonly (readonly [number, number])[], visibleAtMs: number): void {
      for (const [bucket, visible] of rows) {
        const b = buckets.get(bucket);
        if (b === undefined || visible <= b.seen) continue;
        const newly = Math.min(visible, b.sent) - b.seen;
        b.seen = visible;
        if (newly <= 0) continue;
        const latency = Math.max(0, Math.min(MAX_MS, Math.round(visibleAtMs - b.sumMs / b.sent)));
        histogram[latency] = (histogram[latency] ?? 0) + newly;
        recorded += newly;
      }
    },
    /**
     * The send time (ms) from which polls must read: the oldest bucket not yet fully visible.
     * Buckets still incomplete `giveUpMs` after they were sent are given up (lost or never
     * committed) so the polls' window does not stay open forever; they are counted.
     */
    oldestPendingMs(nowMs: number, giveUpMs: number): number | undefined {
      let oldest: number | undefined;
      for (const [bucket, b] of buckets) {
        if (b.seen >= b.sent) {
          buckets.delete(bucket);
          continue;
        }
        if (nowMs - b.firstSentMs > giveUpMs) {
          abandoned += b.sent - b.seen;
          buckets.delete(bucket);
          continue;
        }
        if (oldest === undefined || bucket < oldest) oldest = bucket;
      }
      return oldest === undefined ? undefined : oldest * BUCKET_MS;
    },
    /** Events sent and not yet visible. */
    pending(): number {
      let n = 0;
      for (const b of buckets.values()) n += b.sent - b.seen;
      return n;
    },
    /**
     * The latencies recorded since the last call, over `sentEvents` (default: those seen;
     * the rest count as not visible), and events given up; then starts afresh.
     */
    takeSummary(sentEvents = recorded): LatencySummary & { readonly givenUp: number } {
      const summary = {
        ...summarize(histogram, recorded, Math.max(recorded, sentEvents)),
        givenUp: abandoned,
      };
      histogram = new Uint32Array(MAX_MS + 1);
      recorded = 0;
      abandoned = 0;
      return summary;
    },
  };
}

function summarize(histogram: Uint32Array, seen: number, total: number): LatencySummary {
  const at = (p: number) => {
    const rank = Math.max(1, Math.ceil((p / 100) * total));
    let cumulative = 0;
    for (let ms = 0; ms < histogram.length; ms++) {
      cumulative += histogram[ms] ?? 0;
      if (cumulative >= rank) return ms;
    }
    return null;
  };
  let max = 0;
  for (let ms = histogram.length - 1; ms >= 0; ms--)
    if ((histogram[ms] ?? 0) > 0) {
      max = ms;
      break;
    }
  return seen === 0
    ? { events: 0, p50: null, p95: null, p99: null, max: 0 }
    : { events: seen, p50: at(50), p95: at(95), p99: at(99), max };
}
