/**
 * The health report shared by `/readyz` and `LifecycleService.Health`: identity, liveness,
 * readiness, phase and each dependency's state.
 */
import type { DependencyState, HealthChecks } from "./health.ts";
import { requiredHealthy } from "./health.ts";
import type { Lifecycle } from "./lifecycle.ts";
import { LifecyclePhase } from "./lifecycle.ts";

/** Who this instance is. */
export interface ServiceIdentity {
  /** Service name, e.g. `collector`. */
  readonly service: string;
  /** Unique id of this instance. */
  readonly instanceId: string;
  /** Service version. */
  readonly version: string;
}

/** Identity plus current health. */
export interface HealthReport extends ServiceIdentity {
  /** True while the process is alive (it answered). */
  readonly live: boolean;
  /** True when running and every required dependency is healthy. */
  readonly ready: boolean;
  readonly phase: LifecyclePhase;
  readonly dependencies: readonly DependencyState[];
}

/** Runs the checks and builds the report. */
export async function buildHealthReport(
  identity: ServiceIdentity,
  lifecycle: Lifecycle,
  checks: HealthChecks,
): Promise<HealthReport> {
  const dependencies = await checks.run();
  // Read the phase after the checks: a drain may have started while they ran.
  const phase = lifecycle.phase;
  const ready = phase === LifecyclePhase.running && requiredHealthy(dependencies);
  return { ...identity, live: true, ready, phase, dependencies };
}
