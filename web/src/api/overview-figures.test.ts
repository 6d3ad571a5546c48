import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Phase } from "@langtian/proto";
import { describe, expect, it } from "vitest";
import { fakeInstance, fakeOverview } from "../testing/fake-overview.ts";
import {
  appendSample,
  HISTORY_MS,
  type OverviewSample,
  SampleField,
  sampleOf,
  stageHealth,
} from "./overview-figures.ts";

describe("overview figures", () => {
  it("samples rates, Kafka's write rate from the end offsets' growth, the lake's lag and freshness", () => {
    const t0 = 1_800_000_000_000;
    const first = fakeOverview({ time: timestampFromMs(t0) });
    const second = fakeOverview({
      time: timestampFromMs(t0 + 2000),
      topics: [
        {
          name: "eda.events",
          partitions: [{ partition: 0, endOffset: 5100n, lakePosition: 5000n, lakeLag: 100n }],
        },
      ],
      lake: { lastCommitTime: timestampFromMs(t0 - 3000) },
    });
    const s = sampleOf(second, first);
    expect(s[SampleField.time]).toBe(t0 + 2000);
    expect(s[SampleField.collectorIn]).toBe(120);
    expect(s[SampleField.bridgeOut]).toBe(120);
    expect(s[SampleField.kafkaIn]).toBe(50); // 5000 → 5100 in 2 s
    expect(s[SampleField.lakeIn]).toBe(118);
    expect(s[SampleField.lakeLag]).toBe(100);
    expect(s[SampleField.freshness]).toBe(5);
    expect(sampleOf(first, undefined)[SampleField.kafkaIn]).toBe(0);
  });

  it("keeps an hour of samples, in time order", () => {
    const at = (t: number): OverviewSample => [t, 0, 0, 0, 0, 0, -1];
    let history: OverviewSample[] = [];
    for (let t = 0; t <= HISTORY_MS + 10_000; t += 2000) history = appendSample(history, at(t));
    expect(history[0]?.[0]).toBe(10_000);
    expect(history.at(-1)?.[0]).toBe(HISTORY_MS + 10_000);
    expect(history).toHaveLength(HISTORY_MS / 2000 + 1);
    // A sample from before the newest (a clock step back) replaces what came after it.
    expect(appendSample(history, at(20_000)).map((s) => s[0])).toEqual([
      10_000, 12_000, 14_000, 16_000, 18_000, 20_000,
    ]);
  });

  it("says a stage is healthy, degraded while one instance is ready, down when none is", () => {
    const ok = fakeInstance("b1", "bridge");
    const draining = fakeInstance("b2", "bridge", { phase: Phase.DRAINING, ready: false });
    const away = fakeInstance("b3", "bridge", { error: "refused", live: false, ready: false });
    expect(stageHealth([ok])).toBe("ok");
    expect(stageHealth([ok, draining])).toBe("warn");
    expect(stageHealth([draining, away])).toBe("bad");
    expect(stageHealth([])).toBe("unknown");
  });
});
