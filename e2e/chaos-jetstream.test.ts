import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertExactlyOnce } from "./support/assert-exactly-once.ts";
import { CHAOS_TEST_TIMEOUT_MS, HA_FEED, runChaos } from "./support/chaos-run.ts";
import { createFaultSteps } from "./support/fault-steps.ts";
import { HA_TOPOLOGY } from "./support/pipeline.ts";

// The short path (--direct) on the --ha topology under faults: devices --UDP--> collector -->
// JetStream (3-node cluster, stream R3) --> 2 lake writers (source=jetstream, no bridge or
// Kafka; one SQLite-catalog DuckLake). With this source the newest claim on the stream wins:
// one writer writes, the other stands by until it is restarted and claims the stream, fencing
// the first. While 240,000 device frames flow at 2,500/s, the lake writers (the active one and
// the standby, whose restart fences the active one mid-batch) and NATS nodes are killed with
// SIGKILL and started again, the collector is drained and restarted once, and lake commits
// fail for a few seconds. At the end the lake must hold every accepted event exactly once.
// Fault times are fixed, relative to the feed's start.

describe("chaos on the HA topology, direct: collector → NATS cluster → lake writers", () => {
  it("holds every accepted event exactly once after SIGKILLs of lake writers and NATS nodes, a collector drain and failed lake commits", {
    timeout: CHAOS_TEST_TIMEOUT_MS,
  }, async () => {
    const result = await runChaos({
      name: "chaos-jetstream",
      source: { kind: "jetstream", lakeWriters: 2 },
      topology: { natsNodes: HA_TOPOLOGY.natsNodes },
      ...HA_FEED,
      faults: (pipeline, timeline) => {
        const [writer0, writer1] = pipeline.lakeWriters;
        assert.ok(writer0 && writer1);
        const { kill, commitFailure, killNatsNode, drainAndRestartCollector } = createFaultSteps(
          pipeline,
          timeline,
        );
        // writer-1 starts last, so it holds the stream first. No writer is killed for 15 s
        // after a commit failure ends: a skip would become permanent with the next commit, and
        // a restart before it would hide it. NATS nodes are killed 16 s or more apart.
        // A commit failure waits until both writers run, so none is killed after the last one.
        return [
          kill(4_000, writer1),
          killNatsNode(8_000, 0),
          ...commitFailure(14_000),
          killNatsNode(24_000, 1),
          drainAndRestartCollector(30_000),
          kill(36_000, writer0),
          killNatsNode(44_000, 2),
          kill(48_000, writer0),
          kill(54_000, writer1),
          ...commitFailure(60_000),
          killNatsNode(70_000, 0),
        ];
      },
    });
    assertExactlyOnce(result);
  });
});
