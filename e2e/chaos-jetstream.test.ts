import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { assertExactlyOnce } from "./support/assert-exactly-once.ts";
import { runChaos } from "./support/chaos-run.ts";
import type { FaultStep } from "./support/fault-schedule.ts";
import { lakeCommitFailure } from "./support/lake-faults.ts";
import { TELEMETRY_TABLE } from "./support/pipeline.ts";

// The short path under faults: devices --UDP--> collector --> JetStream --> lake writer
// (source=jetstream, no bridge or Kafka; one SQLite-catalog DuckLake). One writer instance:
// with this source the newest claim on the stream wins, so a second one would only stand by.
// While 140,000 device frames flow at 2,000/s, the lake writer is killed with SIGKILL and
// restarted, nats-server is restarted once (same port and store; the collector spools
// meanwhile) and lake commits fail for a few seconds. At the end the lake must hold every
// accepted event exactly once. Fault times are fixed, relative to the feed's start.

describe("chaos: collector → JetStream → lake writer", () => {
  it("holds every accepted event exactly once after SIGKILLs of the lake writer, a nats-server restart and failed lake commits", {
    timeout: 540_000,
  }, async () => {
    const result = await runChaos({
      name: "chaos-jetstream",
      source: { kind: "jetstream", lakeWriters: 1 },
      events: 140_000,
      ratePerSec: 2_000,
      devices: 50,
      catchUpTimeoutMs: 240_000,
      faults: (pipeline, timeline) => {
        const [writer] = pipeline.lakeWriters;
        if (!writer) throw new Error("no lake writer");
        const kill = (atMs: number): FaultStep => ({
          atMs,
          what: `SIGKILL ${writer.name}, start again after 2 s`,
          run: () => writer.crash(2_000),
        });
        const commitFailure = (atMs: number) =>
          lakeCommitFailure(
            atMs,
            6_000,
            { dataPath: pipeline.lake.dataPath, table: TELEMETRY_TABLE, writers: pipeline.lakeWriters },
            timeline,
          );
        // The writer is not killed for 12 s after a commit failure ends: a skip would become
        // permanent with the next commit, and a restart before it would hide it.
        return [
          kill(4_000),
          ...commitFailure(14_000),
          kill(27_000),
          {
            atMs: 33_000,
            what: "restart nats-server (graceful stop, 3 s down, start on the same port and store)",
            run: async () => {
              timeline.record("nats-stop", "nats-server");
              await pipeline.nats.stop();
              timeline.record("nats-stopped", "nats-server");
              await sleep(3_000);
              await pipeline.nats.start();
              timeline.record("nats-started", "nats-server");
            },
          },
          ...commitFailure(42_000),
          kill(55_000),
          kill(62_000),
        ];
      },
    });
    assertExactlyOnce(result);
  });
});
