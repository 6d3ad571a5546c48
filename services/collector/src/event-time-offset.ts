/**
 * How far the devices' own event times are from the collector's receive time: the sign of a
 * device clock that drifted (an event that arrives "from the future" comes from a clock ahead
 * of ours) or of events held back before sending. Kept as the smallest and largest offset over
 * a sliding window, so the per-datagram cost is two comparisons and several scrapers
 * (Prometheus, the admin's overview) read the same values.
 */

/** Window the extremes cover. */
export const EVENT_TIME_WINDOW_MS = 60_000;
const SLOT_MS = 10_000;
const SLOTS = EVENT_TIME_WINDOW_MS / SLOT_MS;

/** Extremes of receive time − event time over the window, in seconds; undefined without events. */
export interface EventTimeOffsetRange {
  /** Smallest offset; negative: an event newer than its arrival (the device's clock is ahead). */
  readonly minSeconds: number | undefined;
  /** Largest offset: the oldest event on arrival (held back, or a device clock behind). */
  readonly maxSeconds: number | undefined;
}

/** Records offsets per datagram; reads the window's extremes at scrape time. */
export interface EventTimeOffsets {
  record(receivedAtMs: number, eventTimeMs: number): void;
  range(nowMs: number): EventTimeOffsetRange;
}

/** Creates the recorder: slots of 10 s, reused as time moves on. */
export function createEventTimeOffsets(): EventTimeOffsets {
  const slot = new Float64Array(SLOTS).fill(-1);
  const min = new Float64Array(SLOTS);
  const max = new Float64Array(SLOTS);
  return {
    record(receivedAtMs, eventTimeMs) {
      const n = Math.floor(receivedAtMs / SLOT_MS);
      const i = n % SLOTS;
      const offset = receivedAtMs - eventTimeMs;
      if (slot[i] !== n) {
        slot[i] = n;
        min[i] = offset;
        max[i] = offset;
        return;
      }
      if (offset < (min[i] ?? offset)) min[i] = offset;
      if (offset > (max[i] ?? offset)) max[i] = offset;
    },
    range(nowMs) {
      const current = Math.floor(nowMs / SLOT_MS);
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < SLOTS; i++) {
        const n = slot[i] ?? -1;
        if (n < 0 || current - n >= SLOTS || n > current) continue;
        lo = Math.min(lo, min[i] ?? lo);
        hi = Math.max(hi, max[i] ?? hi);
      }
      if (lo === Number.POSITIVE_INFINITY) return { minSeconds: undefined, maxSeconds: undefined };
      return { minSeconds: lo / 1000, maxSeconds: hi / 1000 };
    },
  };
}
