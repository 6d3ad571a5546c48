import assert from "node:assert/strict";
import type { ChaosResult } from "./chaos-run.ts";

/**
 * The guarantees every chaos run must show: each fault was injected and the commit failures
 * really failed commits, the feed was not mostly lost on the way in (the test would prove
 * little; datagrams sent while the collector's port was closed do not count), the stream holds exactly the accepted events, the lake holds each accepted event
 * exactly once, and it got there before the catch-up timeout.
 */
export function assertExactlyOnce(result: ChaosResult): void {
  const where = `\n${result.report}\n${result.logTails}`;
  assert.deepEqual(
    result.failedSteps.map((f) => `${f.step.what}: ${String(f.error)}`),
    [],
    `faults that could not be injected${where}`,
  );
  if (result.timeline.entries.some((e) => e.kind === "commit-failure-start")) {
    // Otherwise the fault hit no commit (no writer was running then) and proved nothing.
    assert.ok(result.final.commitFailures > 0, `no lake commit failed while folders were frozen${where}`);
  }
  const accepted = result.final.accepted ?? Number.NaN;
  // Datagrams sent while the collector was drained and restarting found no listener: not a loss.
  const reachable = result.simulator.sent - result.sentWhileClosed;
  assert.ok(
    accepted >= 0.95 * reachable,
    `the collector accepted only ${accepted} of ${result.simulator.sent} datagrams (${result.sentWhileClosed} sent while its port was closed)${where}`,
  );
  assert.equal(result.streamIds.length, accepted, `stream holds a different number than accepted${where}`);
  assert.equal(
    result.missing.length,
    0,
    `${result.missing.length} accepted events are not in the lake${where}`,
  );
  assert.equal(
    result.unexpected.length,
    0,
    `${result.unexpected.length} lake event ids were never accepted${where}`,
  );
  assert.equal(result.lake.distinctIds, accepted, `distinct event ids in the lake ≠ accepted${where}`);
  assert.equal(
    result.lake.rows,
    accepted,
    `${result.lake.rows - result.lake.distinctIds} duplicate rows in the lake${where}`,
  );
  assert.ok(result.caughtUp, `the pipeline did not catch up in time${where}`);
}
