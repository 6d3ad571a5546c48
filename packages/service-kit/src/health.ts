/**
 * Dependency health checks: each has a name, a required flag, an optional grace period and a
 * check function bounded by a timeout. A check that throws or times out counts as unhealthy
 * with the reason as detail. A required dependency gates readiness once it has been unhealthy
 * for longer than its grace period, so a blip does not take an instance out of service.
 */
import { CheckTimeoutError } from "./errors.ts";

/** What a check reports. */
export interface CheckResult {
  readonly healthy: boolean;
  /** Human-readable detail: where it is connected, or what is wrong. */
  readonly detail: string;
  /**
   * When an unhealthy dependency went bad (epoch ms), for checks that know it better than
   * their first failing run, e.g. the moment a connection dropped. Ignored when healthy.
   */
  readonly unhealthySinceMs?: number;
}

/** A dependency check as registered. */
export interface DependencyCheck {
  /** Dependency name, e.g. `nats`. */
  readonly name: string;
  /** Required dependencies gate readiness; optional ones are only reported. Default true. */
  readonly required?: boolean;
  /** Per-check timeout in ms (default 2000). The signal aborts when it passes. */
  readonly timeoutMs?: number;
  /**
   * How long a required dependency may be unhealthy before it gates readiness, in ms
   * (default 0: at once). Services pass their `readinessGraceMs`.
   */
  readonly graceMs?: number;
  /** The check. Must not throw for "unhealthy"; throwing is also treated as unhealthy. */
  readonly check: (signal: AbortSignal) => Promise<CheckResult> | CheckResult;
}

/** One dependency's state after a check run. */
export interface DependencyState extends CheckResult {
  readonly name: string;
  readonly required: boolean;
  /**
   * Set for an unhealthy dependency that has a grace period: true while it has been unhealthy
   * for less than the grace (it does not gate readiness yet). `unhealthySinceMs` says since when.
   */
  readonly withinGrace?: boolean;
}

/** The registry of a service's dependency checks. */
export interface HealthChecks {
  /** Registers a check; a second check with the same name replaces the first. */
  add(check: DependencyCheck): void;
  /** Removes a check by name. */
  remove(name: string): void;
  /**
   * Runs every check concurrently, each bounded by its timeout, in registration order. A check
   * still running from an earlier call is joined, not started again (probes may poll faster
   * than a slow check answers).
   */
  run(): Promise<DependencyState[]>;
}

/** Default per-check timeout. */
export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

/** A registered check with what its grace period needs to remember. */
interface Entry {
  readonly check: DependencyCheck;
  /** Since when it has been unhealthy (epoch ms); undefined while healthy. */
  unhealthySinceMs: number | undefined;
  /** Whether it was ever healthy: the grace covers a dependency lost, not one never reached. */
  wasHealthy: boolean;
  running: Promise<DependencyState> | undefined;
}

/** Creates an empty check registry. */
export function createHealthChecks(initial: readonly DependencyCheck[] = []): HealthChecks {
  const entries = new Map<string, Entry>();
  const add = (c: DependencyCheck) => {
    entries.set(c.name, { check: c, unhealthySinceMs: undefined, wasHealthy: false, running: undefined });
  };
  for (const c of initial) add(c);
  const runEntry = (e: Entry): Promise<DependencyState> => {
    e.running ??= runCheck(e.check)
      .then((state) => withGrace(e, state))
      .finally(() => {
        e.running = undefined;
      });
    return e.running;
  };
  return {
    add,
    remove: (name) => {
      entries.delete(name);
    },
    run: () => Promise.all([...entries.values()].map(runEntry)),
  };
}

/** Adds the grace bookkeeping to a check's state (only for checks with a grace period). */
function withGrace(e: Entry, state: DependencyState): DependencyState {
  if (state.healthy) {
    e.unhealthySinceMs = undefined;
    e.wasHealthy = true;
    return state;
  }
  const now = Date.now();
  e.unhealthySinceMs = Math.min(state.unhealthySinceMs ?? now, e.unhealthySinceMs ?? now);
  const graceMs = e.check.graceMs ?? 0;
  // Never seen healthy (still starting) and the check names no time it went bad: not
  // ready, whatever the grace.
  if (graceMs <= 0 || (!e.wasHealthy && state.unhealthySinceMs === undefined)) return state;
  return { ...state, unhealthySinceMs: e.unhealthySinceMs, withinGrace: now - e.unhealthySinceMs < graceMs };
}

/** Whether the required dependencies in `states` are all healthy (or unhealthy but within their grace). */
export function requiredHealthy(states: readonly DependencyState[]): boolean {
  return states.every((s) => !s.required || s.healthy || s.withinGrace === true);
}

async function runCheck(c: DependencyCheck): Promise<DependencyState> {
  const required = c.required ?? true;
  const timeoutMs = c.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new CheckTimeoutError(c.name, timeoutMs);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    const result = await Promise.race([Promise.resolve().then(() => c.check(controller.signal)), timeout]);
    const state = {
      name: c.name,
      required,
      healthy: result.healthy === true,
      detail: String(result.detail ?? ""),
    };
    return result.unhealthySinceMs === undefined || state.healthy
      ? state
      : { ...state, unhealthySinceMs: result.unhealthySinceMs };
  } catch (err) {
    return {
      name: c.name,
      required,
      healthy: false,
      detail: err instanceof Error ? err.message : String(err),
    };
  } finally {
    clearTimeout(timer);
  }
}
