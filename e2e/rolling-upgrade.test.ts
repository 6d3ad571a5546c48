import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertExactlyOnce } from "./support/assert-exactly-once.ts";
import { CHAOS_TEST_TIMEOUT_MS, runChaos, STANDARD_FEED } from "./support/chaos-run.ts";
import { upgradeStep } from "./support/upgrade-steps.ts";

// A rolling upgrade under traffic, as docs/OPERATIONS.md describes it: while 140,000 device frames
// flow at 2,000/s, each bridge and then each lake writer is drained through the admin service,
// stopped, started again and waited for, one after another. Nothing accepted may be lost or held
// twice in the lake, and a drain (unlike a crash) leaves no copy in Kafka.

describe("rolling upgrade through the admin service", () => {
  it("drains and restarts every bridge and lake writer in turn under traffic, losing nothing", {
    timeout: CHAOS_TEST_TIMEOUT_MS,
  }, async () => {
    const result = await runChaos({
      name: "rolling-upgrade",
      source: { kind: "kafka", bridges: 2, lakeWriters: 2, partitions: 6 },
      ...STANDARD_FEED,
      faults: (pipeline, timeline) => {
        const [bridge0, bridge1] = pipeline.bridges;
        const [writer0, writer1] = pipeline.lakeWriters;
        assert.ok(bridge0 && bridge1 && writer0 && writer1);
        return [
          upgradeStep(5_000, bridge0, pipeline, timeline),
          upgradeStep(20_000, bridge1, pipeline, timeline),
          upgradeStep(35_000, writer0, pipeline, timeline),
          upgradeStep(50_000, writer1, pipeline, timeline),
        ];
      },
    });
    assertExactlyOnce(result);
    const kafka = result.kafka;
    assert.ok(kafka);
    const copied = [...kafka.copiesOf].filter(([, copies]) => copies > 1).map(([id]) => id);
    assert.deepEqual(
      copied.slice(0, 10),
      [],
      `${copied.length} events were written to Kafka more than once by drained bridges`,
    );
  });
});
