/**
 * Rate-limited log lines for things that can happen thousands of times a second (bad input
 * from a device gone wrong): at most N lines per key per interval, then one summary line with
 * how many were left out. Counters keep the exact numbers; these lines keep examples.
 */

/** The logger methods used (pino-compatible). */
export interface RateLimitedLogTarget {
  warn(obj: object, msg: string): void;
}

/** Limits of {@link createRateLimitedLog}. */
export interface RateLimitedLogOptions {
  /** Lines written per key within one interval; the rest are counted and summarised. */
  readonly maxLinesPerInterval: number;
  /** Length of one interval, in ms. It starts with the first line of a key. */
  readonly intervalMs: number;
  /** Clock (tests pass a fake). */
  readonly now?: () => number;
  /** Timers (tests pass fakes); the summary timer is unreferenced, so it never keeps a process up. */
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

/** A rate-limited log (one per logger and kind of event). */
export interface RateLimitedLog {
  /**
   * Writes `msg` with `fields` (plus `key`) at warn level, unless `key` already had its lines
   * in the current interval: then it is only counted, and once the interval ends one line
   * "suppressed K" follows. `fields` is built by the caller: keep it cheap, or pass a function
   * that is called only when the line is actually written.
   */
  warn(key: string, fields: object | (() => object), msg: string): void;
  /** Writes every pending summary now and stops the timers (on shutdown). */
  close(): void;
}

interface Window {
  startedMs: number;
  written: number;
  suppressed: number;
  timer: unknown;
}

/** Creates a {@link RateLimitedLog} writing to `target`. */
export function createRateLimitedLog(
  target: RateLimitedLogTarget,
  options: RateLimitedLogOptions,
): RateLimitedLog {
  const now = options.now ?? Date.now;
  const setTimer = options.setTimer ?? ((run: () => void, ms: number): NodeJS.Timeout => setTimeout(run, ms));
  const clearTimer = options.clearTimer ?? ((timer: unknown) => clearTimeout(timer as NodeJS.Timeout));
  const windows = new Map<string, Window>();

  const summarise = (key: string, window: Window): void => {
    if (window.suppressed > 0) {
      target.warn(
        { key, suppressed: window.suppressed, intervalMs: options.intervalMs },
        `suppressed ${window.suppressed} more "${key}" lines in ${options.intervalMs} ms`,
      );
    }
    windows.delete(key);
  };

  return {
    warn(key, fields, msg) {
      const at = now();
      let window = windows.get(key);
      if (window !== undefined && at - window.startedMs >= options.intervalMs) {
        // The interval is over (its timer has not run yet): close it before starting the next.
        clearTimer(window.timer);
        summarise(key, window);
        window = undefined;
      }
      if (window === undefined) {
        window = { startedMs: at, written: 0, suppressed: 0, timer: undefined };
        windows.set(key, window);
      }
      if (window.written < options.maxLinesPerInterval) {
        window.written++;
        target.warn({ key, ...(typeof fields === "function" ? fields() : fields) }, msg);
        return;
      }
      window.suppressed++;
      if (window.timer === undefined) {
        const current = window;
        const timer = setTimer(
          () => {
            if (windows.get(key) === current) summarise(key, current);
          },
          Math.max(0, current.startedMs + options.intervalMs - at),
        );
        (timer as { unref?: () => unknown }).unref?.();
        current.timer = timer;
      }
    },
    close() {
      for (const [key, window] of [...windows]) {
        clearTimer(window.timer);
        summarise(key, window);
      }
    },
  };
}
