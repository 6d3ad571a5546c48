import { describe, it } from "node:test";
import { assertExactlyOnce } from "./support/assert-exactly-once.ts";
import { CHAOS_TEST_TIMEOUT_MS, runChaos, STANDARD_FEED } from "./support/chaos-run.ts";
import { createFaultSteps } from "./support/fault-steps.ts";

// The short path under faults: devices --UDP--> collector --> JetStream --> lake writer
// (source=jetstream, no bridge or Kafka; one SQLite-catalog DuckLake). One writer instance:
// with this source the newest claim on the stream wins, so a second one would only stand by.
// While 140,000 device frames flow at 2,000/s, the lake writer is killed with SIGKILL and
// restarted, nats-server is restarted once (same port and store; the collector spools
// meanwhile) and lake commits fail for a few seconds. At the end the lake must hold every
// accepted event exactly once. Fault times are fixed, relative to the feed's start.

describe("chaos: collector → JetStream → lake writer", () => {
  it("holds every accepted event exactly once after SIGKILLs of the lake writer, a nats-server restart and failed lake commits", {
    timeout: CHAOS_TEST_TIMEOUT_MS,
  }, async () => {
    const result = await runChaos({
      name: "chaos-jetstream",
      source: { kind: "jetstream", lakeWriters: 1 },
      ...STANDARD_FEED,
      faults: (pipeline, timeline) => {
        const [writer] = pipeline.lakeWriters;
        if (!writer) throw new Error("no lake writer");
        const { kill, commitFailure, restartNats } = createFaultSteps(pipeline, timeline);
        // The writer is not killed for 12 s after a commit failure ends: a skip would become
        // permanent with the next commit, and a restart before it would hide it.
        return [
          kill(4_000, writer),
          ...commitFailure(14_000),
          kill(27_000, writer),
          restartNats(33_000),
          ...commitFailure(42_000),
          kill(55_000, writer),
          kill(62_000, writer),
        ];
      },
    });
    assertExactlyOnce(result);
  });
});
