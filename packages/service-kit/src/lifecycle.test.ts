import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLifecycle, DrainOrder, LifecyclePhase } from "./lifecycle.ts";

describe("lifecycle drain state machine", () => {
  it("moves starting → running → draining → drained", async () => {
    const lc = createLifecycle({ drainDeadlineMs: 10_000 });
    assert.equal(lc.phase, LifecyclePhase.starting);
    lc.markRunning();
    assert.equal(lc.phase, LifecyclePhase.running);
    let seenDuringDrain: string | undefined;
    lc.onDrain({
      name: "h",
      run: () => {
        seenDuringDrain = lc.phase;
      },
    });
    const result = await lc.drain();
    assert.equal(seenDuringDrain, LifecyclePhase.draining);
    assert.equal(lc.phase, LifecyclePhase.drained);
    assert.deepEqual(result, { phase: "drained", deadlineExceeded: false, pending: [], failed: [] });
  });

  it("runs hooks one at a time by order, then registration order", async () => {
    const lc = createLifecycle({ drainDeadlineMs: 10_000 });
    const log: string[] = [];
    const hook = (name: string, order?: number) =>
      lc.onDrain({
        name,
        ...(order === undefined ? {} : { order }),
        run: async () => {
          log.push(`start ${name}`);
          await new Promise((r) => setImmediate(r));
          log.push(`end ${name}`);
        },
      });
    hook("close", DrainOrder.closeConnections);
    hook("flush", DrainOrder.flush);
    hook("in-flight");
    hook("stop intake", DrainOrder.stopIntake);
    hook("flush 2", DrainOrder.flush);
    await lc.drain();
    assert.deepEqual(log, [
      "start stop intake",
      "end stop intake",
      "start in-flight",
      "end in-flight",
      "start flush",
      "end flush",
      "start flush 2",
      "end flush 2",
      "start close",
      "end close",
    ]);
  });

  it("is idempotent: a second call returns the same promise and runs hooks once", async () => {
    const lc = createLifecycle({ drainDeadlineMs: 10_000 });
    let runs = 0;
    lc.onDrain({ name: "h", run: () => void runs++ });
    const first = lc.drain();
    const second = lc.drain({ deadlineMs: 1 });
    assert.equal(first, second);
    await first;
    assert.equal(await lc.drain(), await first);
    assert.equal(runs, 1);
  });

  it("reports deadline_exceeded with the hooks left, aborts the running hook and skips the rest", async () => {
    const lc = createLifecycle({ drainDeadlineMs: 10_000 });
    let signal: AbortSignal | undefined;
    let laterRan = false;
    lc.onDrain({ name: "done", order: 1, run: () => {} });
    lc.onDrain({
      name: "stuck",
      order: 2,
      run: (s) => {
        signal = s;
        return new Promise<void>((resolve) => s.addEventListener("abort", () => resolve()));
      },
    });
    lc.onDrain({
      name: "later",
      order: 3,
      run: () => {
        laterRan = true;
      },
    });
    const result = await lc.drain({ deadlineMs: 20 });
    assert.equal(result.deadlineExceeded, true);
    assert.deepEqual(result.pending, ["stuck", "later"]);
    assert.equal(result.phase, LifecyclePhase.draining);
    assert.equal(signal?.aborted, true);
    await new Promise((r) => setImmediate(r));
    assert.equal(laterRan, false);
  });

  it("carries on after a failing hook and reports it", async () => {
    const lc = createLifecycle({ drainDeadlineMs: 10_000 });
    let secondRan = false;
    lc.onDrain({
      name: "bad",
      run: () => {
        throw new Error("boom");
      },
    });
    lc.onDrain({
      name: "good",
      run: () => {
        secondRan = true;
      },
    });
    const result = await lc.drain();
    assert.deepEqual(result.failed, ["bad"]);
    assert.equal(secondRan, true);
    assert.equal(result.phase, LifecyclePhase.drained);
  });

  it("does not become running again once a drain has started", async () => {
    const lc = createLifecycle({ drainDeadlineMs: 10_000 });
    const drained = lc.drain();
    lc.markRunning();
    assert.equal(lc.phase, LifecyclePhase.draining);
    await drained;
    lc.markRunning();
    assert.equal(lc.phase, LifecyclePhase.drained);
  });

  it("merges counters from every source for Status", () => {
    const lc = createLifecycle({ drainDeadlineMs: 1 });
    lc.addCounters(() => ({ published: 1, failed: 2 }));
    lc.addCounters(() => ({ acked: 3 }));
    assert.deepEqual(lc.counters(), { published: 1, failed: 2, acked: 3 });
  });
});
