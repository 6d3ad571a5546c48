import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertExactlyOnce } from "./support/assert-exactly-once.ts";
import { CHAOS_TEST_TIMEOUT_MS, runChaos, STANDARD_FEED } from "./support/chaos-run.ts";
import { createFaultSteps } from "./support/fault-steps.ts";

// The whole pipeline under faults: devices --UDP--> collector --> JetStream --> 2 bridges -->
// Kafka (6 partitions) --> 2 lake writers (one SQLite-catalog DuckLake). While 140,000 device
// frames flow at 2,000/s, bridges and lake writers are killed with SIGKILL and restarted, Kafka
// is restarted once and lake commits fail for a few seconds. At the end the lake must hold every
// accepted event exactly once. Fault times are fixed, relative to the feed's start, so a failing
// run can be repeated; the printed report lists each fault with the time it happened.

const PARTITIONS = 6;

describe("chaos: collector → bridges → Kafka → lake writers", () => {
  it("holds every accepted event exactly once after SIGKILLs of bridges and lake writers, a Kafka restart and failed lake commits", {
    timeout: CHAOS_TEST_TIMEOUT_MS,
  }, async () => {
    const result = await runChaos({
      name: "chaos-kafka",
      source: { kind: "kafka", bridges: 2, lakeWriters: 2, partitions: PARTITIONS },
      ...STANDARD_FEED,
      faults: (pipeline, timeline) => {
        const [bridge0, bridge1] = pipeline.bridges;
        const [writer0, writer1] = pipeline.lakeWriters;
        assert.ok(bridge0 && bridge1 && writer0 && writer1);
        const { kill, commitFailure, restartKafka } = createFaultSteps(pipeline, timeline);
        // No lake writer is killed for 15 s after a commit failure ends: a skip would become
        // permanent with the next commit, and a restart before it would hide it.
        return [
          kill(4_000, bridge0),
          kill(7_000, writer0),
          kill(11_000, bridge1),
          ...commitFailure(16_000),
          kill(19_000, bridge0),
          restartKafka(24_000),
          kill(40_000, writer1),
          kill(42_000, bridge1),
          kill(45_000, writer0),
          kill(50_000, writer1),
          ...commitFailure(55_000),
          kill(58_000, bridge0),
        ];
      },
    });

    assertExactlyOnce(result);
    const kafka = result.kafka;
    assert.ok(kafka);
    // An event id maps to one partition (the record key is derived from the event alone),
    // so a bridge's resend lands where its original is and one writer sees both.
    assert.deepEqual(
      result.inSeveralPartitions.slice(0, 10),
      [],
      `${result.inSeveralPartitions.length} event ids have copies in more than one Kafka partition`,
    );
    const lostByBridges = result.streamIds.filter((id) => !kafka.copiesOf.has(id));
    assert.equal(
      lostByBridges.length,
      0,
      `accepted events never written to Kafka: ${lostByBridges.slice(0, 5)}`,
    );
  });
});
