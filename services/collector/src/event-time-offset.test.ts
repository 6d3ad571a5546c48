import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEventTimeOffsets, EVENT_TIME_WINDOW_MS } from "./event-time-offset.ts";

describe("event time offsets", () => {
  it("reports nothing before an event carried its own time", () => {
    assert.deepEqual(createEventTimeOffsets().range(1_000_000), {
      minSeconds: undefined,
      maxSeconds: undefined,
    });
  });

  it("keeps the smallest and largest receive − event time of the window, negative for a clock ahead", () => {
    const offsets = createEventTimeOffsets();
    const t = 1_700_000_000_000;
    offsets.record(t, t - 2_000);
    offsets.record(t + 15_000, t + 15_000 + 3_500);
    offsets.record(t + 25_000, t + 25_000 - 40_000);
    assert.deepEqual(offsets.range(t + 30_000), { minSeconds: -3.5, maxSeconds: 40 });
  });

  it("forgets offsets older than the window", () => {
    const offsets = createEventTimeOffsets();
    const t = 1_700_000_000_000;
    offsets.record(t, t + 9_000);
    offsets.record(t + EVENT_TIME_WINDOW_MS + 10_000, t + EVENT_TIME_WINDOW_MS + 10_000 - 1_000);
    assert.deepEqual(offsets.range(t + EVENT_TIME_WINDOW_MS + 10_000), { minSeconds: 1, maxSeconds: 1 });
    assert.deepEqual(offsets.range(t + 3 * EVENT_TIME_WINDOW_MS), {
      minSeconds: undefined,
      maxSeconds: undefined,
    });
  });
});
