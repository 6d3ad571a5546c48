import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRateLimitedLog } from "./rate-limited-log.ts";

/** A fake clock and timer queue, and the lines written. */
function harness(maxLinesPerInterval = 2, intervalMs = 1000) {
  let nowMs = 0;
  const timers: { at: number; run: () => void; cleared: boolean }[] = [];
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  const log = createRateLimitedLog(
    { warn: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg }) },
    {
      maxLinesPerInterval,
      intervalMs,
      now: () => nowMs,
      setTimer: (run, ms) => {
        const timer = { at: nowMs + ms, run, cleared: false };
        timers.push(timer);
        return timer;
      },
      clearTimer: (timer) => {
        if (timer) (timer as { cleared: boolean }).cleared = true;
      },
    },
  );
  /** Moves the clock; due timers run unless `runTimers` is false (a late timer). */
  const advance = (ms: number, runTimers = true) => {
    nowMs += ms;
    if (!runTimers) return;
    for (const timer of timers.splice(0)) {
      if (timer.cleared) continue;
      if (timer.at <= nowMs) timer.run();
      else timers.push(timer);
    }
  };
  return { log, lines, advance };
}

describe("createRateLimitedLog", () => {
  it("writes at most N lines per key per interval, then one 'suppressed K' line when it ends", () => {
    const { log, lines, advance } = harness(2, 1000);
    for (let i = 0; i < 10; i++) log.warn("bad_crc", { sample: i }, "datagram rejected");
    assert.deepEqual(
      lines.map((l) => [l.msg, l.obj.sample]),
      [
        ["datagram rejected", 0],
        ["datagram rejected", 1],
      ],
    );
    advance(999);
    assert.equal(lines.length, 2, "no summary before the interval ends");
    advance(1);
    assert.equal(lines.length, 3);
    assert.equal(lines[2]?.obj.suppressed, 8);
    assert.equal(lines[2]?.obj.key, "bad_crc");
    assert.match(lines[2]?.msg ?? "", /suppressed 8 more "bad_crc" lines in 1000 ms/);
    // A new interval: lines again.
    log.warn("bad_crc", { sample: 10 }, "datagram rejected");
    assert.equal(lines.at(-1)?.obj.sample, 10);
  });

  it("limits each key on its own", () => {
    const { log, lines } = harness(1, 1000);
    log.warn("a", {}, "x");
    log.warn("a", {}, "x");
    log.warn("b", {}, "x");
    assert.deepEqual(
      lines.map((l) => l.obj.key),
      ["a", "b"],
    );
  });

  it("writes no summary when nothing was suppressed, and builds lazy fields only for written lines", () => {
    const { log, lines, advance } = harness(1, 100);
    let built = 0;
    const fields = () => {
      built++;
      return { sample: "ab" };
    };
    log.warn("k", fields, "x");
    log.warn("k", fields, "x");
    log.warn("k", fields, "x");
    assert.equal(built, 1);
    advance(100);
    assert.equal(lines.filter((l) => l.obj.suppressed !== undefined).length, 1);
    log.warn("quiet", {}, "x");
    advance(1000);
    assert.equal(lines.filter((l) => l.obj.key === "quiet").length, 1, "one line, no summary");
  });

  it("starts a new interval when a line comes after the last one ended, even before its timer ran", () => {
    const { log, lines, advance } = harness(1, 100);
    log.warn("k", {}, "first");
    log.warn("k", {}, "left out");
    log.warn("k", {}, "left out");
    log.warn("k", {}, "left out");
    advance(150, false);
    log.warn("k", {}, "next interval");
    assert.deepEqual(
      lines.map((l) => l.msg),
      ["first", 'suppressed 3 more "k" lines in 100 ms', "next interval"],
    );
    log.warn("k", {}, "left out");
    log.close();
    assert.equal(lines.at(-1)?.obj.suppressed, 1, "close() writes the pending summary");
  });
});
