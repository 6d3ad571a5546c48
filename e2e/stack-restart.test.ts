import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  freePorts,
  runStack,
  startNats,
  sumMetric,
  tempDir,
  testJvmOptions,
  waitFor,
} from "@langtian/testing";
import { connect } from "@nats-io/transport-node";
import { readStreamEventIds } from "./support/accepted-events.ts";
import { type LakeContents, readLakeContents } from "./support/lake-contents.ts";
import { TELEMETRY_TABLE } from "./support/pipeline.ts";

// `npm run stack` stopped and started again on its data: the first run's events stay, the
// second run resumes where the first stopped, and nothing is lost or duplicated. Each run ends
// as Ctrl+C ends it (drain, then stop in reverse order); the device simulator keeps sending
// throughout, so events are in flight at every stop. After each run the test reads what the
// stack kept: the JetStream stream (every event the collector accepted) and the lake.

/** The stream the stack's collector writes. */
const STREAM = "EDA_EVENTS";

describe("npm run stack, stopped and started again", () => {
  it("keeps the first run's events and resumes: every accepted event in the lake once", {
    timeout: 900_000,
  }, async () => {
    const stackDir = tempDir("stack-restart");
    const [nats = 0, monitor = 0, kafka = 0, controller = 0] = await freePorts(4);
    const env = {
      LANGTIAN_STACK_DIR: stackDir,
      LANGTIAN_STACK_NATS_PORT: String(nats),
      LANGTIAN_STACK_NATS_MONITOR_PORT: String(monitor),
      LANGTIAN_STACK_KAFKA_PORT: String(kafka),
      LANGTIAN_STACK_KAFKA_CONTROLLER_PORT: String(controller),
      LANGTIAN_STACK_KAFKA_JVM_OPTIONS: testJvmOptions.join(" "),
    };

    const first = await runStack({ env });
    assert.equal(first.code, 0, first.output);
    const kept = tableData(first.output);
    const afterFirst = await readKept(kept);
    process.stdout.write(
      `# first run: ${afterFirst.streamIds.length} accepted, lake ${afterFirst.lake.rows} rows of ${afterFirst.lake.distinctIds} ids\n`,
    );
    assert.ok(afterFirst.streamIds.length > 0, "the first run accepted events");
    assert.equal(afterFirst.lake.rows, afterFirst.lake.distinctIds, "duplicates after the first run");

    // The second run holds until the lake has every event the first run accepted: what was
    // in flight at the first stop (spooled, in the stream, in Kafka) arrives now.
    let retransmits: number | undefined;
    const second = await runStack({
      flags: ["--hold"],
      env,
      whileUp: async (output) => {
        await waitFor(
          async () => {
            const lake = await readLakeContents(kept.catalogPath, kept.dataPath, TELEMETRY_TABLE).catch(
              () => undefined,
            );
            return lake && afterFirst.streamIds.every((id) => lake.ids.has(id)) ? true : undefined;
          },
          { what: "the lake to hold every event of the first run", timeoutMs: 180_000, intervalMs: 3_000 },
        );
        // Datagrams JetStream took for retransmits of events it holds. A simulator starting at
        // sequence 1 again would re-send every id of the first run, and its new readings would
        // be dropped as duplicates; a few may be in-doubt events the first run spooled at its stop.
        const collector = /^collector\s+(http:\/\/127\.0\.0\.1:\d+)/m.exec(output)?.[1];
        assert.ok(collector, "the table names the collector's address");
        const metrics = await (await fetch(`${collector}/metrics`)).text();
        retransmits = sumMetric(metrics, "langtian_collector_duplicates_total");
      },
    });
    assert.equal(second.code, 0, second.output);
    process.stdout.write(`# second run: ${retransmits} datagrams taken for retransmits\n`);
    assert.ok(retransmits !== undefined, "the collector reports duplicates_total");
    assert.ok(
      retransmits < afterFirst.streamIds.length / 10,
      `${retransmits} datagrams of the second run repeated ids of the first (${afterFirst.streamIds.length} events)`,
    );
    assert.deepEqual(tableData(second.output), kept, "the second run uses the first one's data");
    const afterSecond = await readKept(kept);
    process.stdout.write(
      `# second run: ${afterSecond.streamIds.length} accepted, lake ${afterSecond.lake.rows} rows of ${afterSecond.lake.distinctIds} ids\n`,
    );

    const accepted = new Set(afterSecond.streamIds);
    assert.equal(accepted.size, afterSecond.streamIds.length, "an event id accepted twice");
    assert.ok(
      afterSecond.streamIds.length > afterFirst.streamIds.length,
      "the second run accepted new events (its devices went on from where they were)",
    );
    const lost = afterFirst.streamIds.filter((id) => !afterSecond.lake.ids.has(id));
    assert.deepEqual(lost.slice(0, 5), [], `${lost.length} events of the first run are not in the lake`);
    const dropped = [...afterFirst.lake.ids].filter((id) => !afterSecond.lake.ids.has(id));
    assert.deepEqual(dropped.slice(0, 5), [], `${dropped.length} lake rows of the first run are gone`);
    const unexpected = [...afterSecond.lake.ids].filter((id) => !accepted.has(id));
    assert.deepEqual(unexpected.slice(0, 5), [], `${unexpected.length} lake events were never accepted`);
    assert.equal(
      afterSecond.lake.rows,
      afterSecond.lake.distinctIds,
      `duplicate rows: ${afterSecond.lake.duplicateSamples.join("; ")}`,
    );
  });
});

/** Where the stack keeps its data, as its table prints it. */
interface KeptData {
  readonly natsDir: string;
  readonly catalogPath: string;
  readonly dataPath: string;
}

/** The nats-server's and the lake's folders from the table the stack prints. */
function tableData(output: string): KeptData {
  const natsDir = /^nats-server\s+nats:\/\/\S+\s+(\S+)$/m.exec(output)?.[1];
  const lakeDir = /^lake\s+.*?\s{3}(\/\S+)$/m.exec(output)?.[1];
  assert.ok(natsDir && lakeDir, `the stack's table names its data folders:\n${output}`);
  return { natsDir, catalogPath: join(lakeDir, "catalog.sqlite"), dataPath: join(lakeDir, "data") };
}

/** Every event id in the stack's stream (read on a nats-server of our own) and the lake. */
async function readKept(kept: KeptData): Promise<{ streamIds: string[]; lake: LakeContents }> {
  const nats = await startNats({ dataDir: kept.natsDir, serverName: "stack" });
  try {
    const nc = await connect({ servers: nats.url });
    try {
      const streamIds = await readStreamEventIds(nc, STREAM);
      const lake = await readLakeContents(kept.catalogPath, kept.dataPath, TELEMETRY_TABLE);
      return { streamIds, lake };
    } finally {
      await nc.close();
    }
  } finally {
    await nats.stop();
  }
}
