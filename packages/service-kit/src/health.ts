/**
 * Dependency health checks: each has a name, a required flag and a check function bounded by
 * a timeout. A check that throws or times out counts as unhealthy with the reason as detail.
 */
import { CheckTimeoutError } from "./errors.ts";

/** What a check reports. */
export interface CheckResult {
  readonly healthy: boolean;
  /** Human-readable detail: where it is connected, or what is wrong. */
  readonly detail: string;
}

/** A dependency check as registered. */
export interface DependencyCheck {
  /** Dependency name, e.g. `nats`. */
  readonly name: string;
  /** Required dependencies gate readiness; optional ones are only reported. Default true. */
  readonly required?: boolean;
  /** Per-check timeout in ms (default 2000). The signal aborts when it passes. */
  readonly timeoutMs?: number;
  /** The check. Must not throw for "unhealthy"; throwing is also treated as unhealthy. */
  readonly check: (signal: AbortSignal) => Promise<CheckResult> | CheckResult;
}

/** One dependency's state after a check run. */
export interface DependencyState extends CheckResult {
  readonly name: string;
  readonly required: boolean;
}

/** The registry of a service's dependency checks. */
export interface HealthChecks {
  /** Registers a check; a second check with the same name replaces the first. */
  add(check: DependencyCheck): void;
  /** Removes a check by name. */
  remove(name: string): void;
  /** Runs every check concurrently, each bounded by its timeout, in registration order. */
  run(): Promise<DependencyState[]>;
}

/** Default per-check timeout. */
export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

/** Creates an empty check registry. */
export function createHealthChecks(initial: readonly DependencyCheck[] = []): HealthChecks {
  const checks = new Map<string, DependencyCheck>();
  for (const c of initial) checks.set(c.name, c);
  return {
    add: (c) => {
      checks.set(c.name, c);
    },
    remove: (name) => {
      checks.delete(name);
    },
    run: () => Promise.all([...checks.values()].map(runCheck)),
  };
}

/** Whether the required dependencies in `states` are all healthy. */
export function requiredHealthy(states: readonly DependencyState[]): boolean {
  return states.every((s) => !s.required || s.healthy);
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
    return { name: c.name, required, healthy: result.healthy === true, detail: String(result.detail ?? "") };
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
