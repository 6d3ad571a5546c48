import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startSequenceOf } from "./start-sequence.ts";

describe("startSequenceOf", () => {
  it("takes a positive integer as it is", () => {
    assert.equal(startSequenceOf("1", 10, 5), 1);
    assert.equal(startSequenceOf("4711", 0, 5), 4711);
  });

  it("counts the clock at each device's rate, so a later start is always further on", () => {
    // 10 events/s over 5 devices: 2 per device and second.
    assert.equal(startSequenceOf("clock", 10, 5, 1_000), 3);
    const before = startSequenceOf("clock", 10, 5, 1_800_000_000_000);
    const after = startSequenceOf("clock", 10, 5, 1_800_000_000_500);
    assert.equal(before, 3_600_000_001);
    // Half a second later: one more sequence number per device, what a device sent meanwhile.
    assert.equal(after, before + 1);
  });

  it("refuses what is no sequence, and clock without a rate", () => {
    for (const bad of ["0", "-3", "1.5", "x", ""]) {
      assert.throws(() => startSequenceOf(bad, 10, 5), /positive integer or "clock"/);
    }
    assert.throws(() => startSequenceOf("clock", 0, 5), /needs a --rate/);
  });
});
