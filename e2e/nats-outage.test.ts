import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { assertExactlyOnce } from "./support/assert-exactly-once.ts";
import { runChaos } from "./support/chaos-run.ts";
import type { Pipeline } from "./support/pipeline.ts";

// NATS unreachable for a whole minute while devices keep sending at a steady rate: the
// collector cannot publish, so it spools every accepted event to disk, and replays the spool
// once nats-server is back (same port and store); the bridge and the lake writer reconnect and
// carry on. At the end the lake must hold every accepted event exactly once. The outage covers
// more than half of the feed, so "accepted ≥ 95 % of sent" plus an exact lake proves the spool
// carried those events; its counters say so too.

const OUTAGE_MS = 60_000;
const OUTAGE_AT_MS = 15_000;
const RATE_PER_SEC = 1_000;
/** 100 s of feed: 15 s before the outage, 60 s during it, 25 s after. */
const EVENTS = 100_000;

const collectorMetric = (name: string) => `langtian_collector_${name}`;

describe("NATS unreachable for 60 s", () => {
  it("the collector spools, replays after, and the lake ends exact", { timeout: 600_000 }, async () => {
    let pipeline: Pipeline | undefined;
    let spoolAtRestart: number | undefined;
    const result = await runChaos({
      name: "nats-outage",
      source: { kind: "kafka", bridges: 1, lakeWriters: 1, partitions: 3 },
      events: EVENTS,
      ratePerSec: RATE_PER_SEC,
      devices: 50,
      catchUpTimeoutMs: 240_000,
      faults: (running, timeline) => {
        pipeline = running;
        return [
          {
            atMs: OUTAGE_AT_MS,
            what: `stop nats-server for ${OUTAGE_MS / 1000} s, then start it on the same port and store`,
            run: async () => {
              timeline.record("nats-stop", "nats-server");
              await running.nats.stop();
              timeline.record("nats-stopped", "nats-server");
              await sleep(OUTAGE_MS);
              await running.collector.scrape();
              spoolAtRestart = running.collector.gauge(collectorMetric("spool_depth_events"));
              timeline.record("nats-start", "nats-server", `collector spool holds ${spoolAtRestart} events`);
              await running.nats.start();
              timeline.record("nats-started", "nats-server");
            },
          },
        ];
      },
    });
    assertExactlyOnce(result);
    assert.ok(pipeline);
    // The last scrape (the final observation) of the collector's one lifetime.
    const spooled = pipeline.collector.counterTotal(collectorMetric("spooled_total")) ?? 0;
    const replayed = pipeline.collector.counterTotal(collectorMetric("spool_replayed_total")) ?? 0;
    const overflow = pipeline.collector.counterTotal(collectorMetric("spool_overflow_total")) ?? 0;
    process.stdout.write(
      `nats-outage: spool at restart ${spoolAtRestart}, spooled ${spooled}, replayed ${replayed}, overflow ${overflow}\n`,
    );
    assert.ok((spoolAtRestart ?? 0) > 0, "the collector spooled nothing while NATS was down");
    assert.ok(spooled > 0, "spooled_total stayed 0 through the outage");
    // Replays also count the in-doubt events held in memory when the connection dropped.
    assert.ok(replayed >= spooled, `replayed ${replayed} < spooled ${spooled}`);
    assert.equal(overflow, 0, "the spool overflowed");
  });
});
