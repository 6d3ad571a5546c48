import { setTimeout as sleep } from "node:timers/promises";
import type { Timeline } from "./timeline.ts";

/** One fault, started at a fixed time after the feed started (so a run can be repeated). */
export interface FaultStep {
  readonly atMs: number;
  /** What it does, for the printed plan, e.g. "SIGKILL bridge-0, restart after 2 s". */
  readonly what: string;
  run(): Promise<void>;
}

/** A step that threw (the fault could not be injected, or its restart failed). */
export interface FailedStep {
  readonly step: FaultStep;
  readonly error: unknown;
}

/**
 * Starts every step at its time (measured on `timeline`, whose zero is the feed's start);
 * steps may overlap (a Kafka restart while a bridge is killed). Operations on the same
 * service queue up in that service. Resolves with the steps that failed, once all ended.
 */
export async function runSchedule(steps: readonly FaultStep[], timeline: Timeline): Promise<FailedStep[]> {
  const failed: FailedStep[] = [];
  await Promise.all(
    steps.map(async (step) => {
      const wait = step.atMs - timeline.now();
      if (wait > 0) await sleep(wait);
      try {
        await step.run();
      } catch (error) {
        failed.push({ step, error });
        timeline.record(
          "fault-failed",
          step.what,
          error instanceof Error ? error.message.split("\n")[0] : String(error),
        );
      }
    }),
  );
  return failed;
}

/** The plan as text, one step a line. */
export function formatSchedule(steps: readonly FaultStep[]): string {
  return steps.map((s) => `${String(s.atMs).padStart(7)} ms  ${s.what}`).join("\n");
}
