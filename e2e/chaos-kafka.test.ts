import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertExactlyOnce } from "./support/assert-exactly-once.ts";
import { CHAOS_TEST_TIMEOUT_MS, HA_FEED, runChaos } from "./support/chaos-run.ts";
import { createFaultSteps } from "./support/fault-steps.ts";
import { HA_TOPOLOGY } from "./support/pipeline.ts";

// The whole pipeline on the --ha topology under faults: devices --UDP--> collector --> JetStream
// (3-node cluster, stream R3) --> 2 bridges --> Kafka (3 brokers, 6 partitions, replication 3,
// min ISR 2) --> 2 lake writers (one SQLite-catalog DuckLake). While 240,000 device frames flow
// at 2,500/s, bridges, lake writers and NATS nodes are killed with SIGKILL and started again,
// a Kafka broker is restarted, the collector is drained and restarted once, and lake commits
// fail for a few seconds. At the end the lake must hold every accepted event exactly once.
// Fault times are fixed, relative to the feed's start, so a failing run can be repeated; the
// printed report lists each fault with the time it happened.

const PARTITIONS = 6;

describe("chaos on the HA topology: collector → NATS cluster → bridges → Kafka cluster → lake writers", () => {
  it("holds every accepted event exactly once after SIGKILLs of bridges, lake writers and NATS nodes, a broker restart, a collector drain and failed lake commits", {
    timeout: CHAOS_TEST_TIMEOUT_MS,
  }, async () => {
    const result = await runChaos({
      name: "chaos-kafka",
      source: { kind: "kafka", bridges: 2, lakeWriters: 2, partitions: PARTITIONS },
      topology: HA_TOPOLOGY,
      ...HA_FEED,
      faults: (pipeline, timeline) => {
        const [bridge0, bridge1] = pipeline.bridges;
        const [writer0, writer1] = pipeline.lakeWriters;
        assert.ok(bridge0 && bridge1 && writer0 && writer1);
        const { kill, commitFailure, restartKafka, killNatsNode, drainAndRestartCollector } =
          createFaultSteps(pipeline, timeline);
        // No lake writer is killed for 15 s after a commit failure ends: a skip would become
        // permanent with the next commit, and a restart before it would hide it. NATS nodes
        // are killed 19 s or more apart, so a node has rejoined (and its stream replica caught
        // up) before the next one goes: two down at once would leave no quorum.
        return [
          kill(4_000, bridge0),
          killNatsNode(8_000, 0),
          kill(10_000, writer0),
          kill(14_000, bridge1),
          ...commitFailure(18_000),
          restartKafka(22_000, 1),
          killNatsNode(27_000, 1),
          drainAndRestartCollector(32_000),
          kill(36_000, bridge0),
          kill(42_000, writer1),
          killNatsNode(46_000, 2),
          kill(50_000, bridge1),
          kill(54_000, writer0),
          ...commitFailure(58_000),
          kill(62_000, bridge0),
          killNatsNode(68_000, 0),
          kill(74_000, bridge1),
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
