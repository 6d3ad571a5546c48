import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CollectorIntake, udpClosedMs } from "./fault-steps.ts";

describe("udpClosedMs", () => {
  it("adds up the spans between the collector's intake closing and opening again", () => {
    const entries = [
      { atMs: 1_000, kind: "SIGKILL" },
      { atMs: 2_000, kind: CollectorIntake.closed },
      { atMs: 5_500, kind: CollectorIntake.open },
      { atMs: 9_000, kind: CollectorIntake.closed },
      { atMs: 9_250, kind: CollectorIntake.open },
    ];
    assert.equal(udpClosedMs(entries, 20_000), 3_750);
  });

  it("counts a span still open up to the end of the feed, and nothing without a drain", () => {
    assert.equal(udpClosedMs([{ atMs: 7_000, kind: CollectorIntake.closed }], 10_000), 3_000);
    assert.equal(udpClosedMs([{ atMs: 7_000, kind: "nats-SIGKILL" }], 10_000), 0);
  });
});
