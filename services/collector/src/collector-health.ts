import { accessSync, constants, statfsSync } from "node:fs";
import type { HealthChecks } from "@langtian/service-kit";
import type { Delivery } from "./delivery.ts";
import type { PublishTarget } from "./publish-target.ts";
import type { Spool } from "./spool.ts";

/** What the collector's readiness looks at. */
export interface CollectorHealthDeps {
  readonly target: PublishTarget;
  /** Delivery and its spool once the collector started; undefined before. */
  running(): { readonly delivery: Delivery; readonly spool: Spool } | undefined;
  readonly spoolDir: string;
  readonly spoolMaxBytes: number;
  readonly overflow: "reject-new" | "drop-oldest";
  /** Room the largest event takes in the spool: with less free, the spool counts as full. */
  readonly maxRecordBytes: number;
  /** The NATS server connected to, if any. */
  server(): string | undefined;
  /** Why the stream is not provisioned yet, if it is not. */
  streamProblem(): string | undefined;
}

/**
 * Registers the collector's dependency checks. The collector makes progress while it can
 * accept events, and accepting into the spool is progress, so:
 * - `nats` is reported but not required: while NATS is away the collector stays ready,
 *   spools, and the report says NATS is degraded and since when;
 * - `spool` is required and has no grace: the collector is not ready the moment the spool
 *   cannot take the next event (full, its directory or disk unwritable, or its last append
 *   failed while events go to it).
 */
export function addCollectorHealthChecks(health: HealthChecks, deps: CollectorHealthDeps): void {
  let natsDownSinceMs: number | undefined;
  health.add({
    name: "nats",
    required: false,
    check: () => {
      const problem = deps.streamProblem();
      if (deps.target.isConnected() && problem === undefined) {
        natsDownSinceMs = undefined;
        return { healthy: true, detail: `connected to ${deps.server()}` };
      }
      natsDownSinceMs ??= Date.now();
      const what = problem === undefined ? "not connected" : `stream not ready (${problem})`;
      return {
        healthy: false,
        detail: `degraded since ${new Date(natsDownSinceMs).toISOString()}: ${what}; events go to the spool (${deps.running()?.spool.depth ?? 0} waiting)`,
        unhealthySinceMs: natsDownSinceMs,
      };
    },
  });
  health.add({
    name: "spool",
    check: () => {
      const running = deps.running();
      if (running === undefined) return { healthy: false, detail: "not started" };
      const { spool } = running;
      const usage = `${spool.depth} events, ${spool.bytes} of ${deps.spoolMaxBytes} bytes`;
      const problem = spoolProblem(deps, running);
      return problem === undefined
        ? { healthy: true, detail: usage }
        : { healthy: false, detail: `${problem} (${usage})` };
    },
  });
}

/** Why the spool cannot take the next event, or undefined when it can. */
function spoolProblem(
  deps: CollectorHealthDeps,
  { delivery, spool }: { readonly delivery: Delivery; readonly spool: Spool },
): string | undefined {
  if (spool.freeBytes < deps.maxRecordBytes) {
    return deps.overflow === "reject-new"
      ? "full: new events are refused"
      : "full: the oldest spooled events are being dropped";
  }
  const failure = delivery.spoolFailure;
  // A failure while publishing directly again is history; while spooling it is current.
  if (failure !== undefined && delivery.spooling) return `cannot be written: ${failure}`;
  try {
    accessSync(deps.spoolDir, constants.W_OK);
  } catch (err) {
    return `directory not writable: ${err instanceof Error ? err.message : String(err)}`;
  }
  try {
    const fs = statfsSync(deps.spoolDir);
    if (fs.bavail * fs.bsize < deps.maxRecordBytes) return "the disk holding it is full";
  } catch {
    // statfs is not available everywhere (and the access check above already passed).
  }
  return undefined;
}
