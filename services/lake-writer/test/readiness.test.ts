import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { freezeFolder, type KafkaCluster, startKafka, tempDir, uniqueName, waitFor } from "@langtian/testing";
import { createApp, type LakeWriterApp } from "../src/app.ts";
import { loadLakeWriterConfig } from "../src/config.ts";
import { findFolder } from "../src/testing/faults.ts";
import { lakeWriterEnv } from "../src/testing/lake-writer-env.ts";
import { createTopic, produce, telemetryEvents } from "../src/testing/test-events.ts";
import { queryNumber } from "../src/testing/test-lake.ts";

/**
 * /readyz tells the truth: 503 while Kafka is down or lake commits fail (after the grace),
 * 200 again once they recover, and every event lands. /healthz stays about the process.
 */
describe("lake writer readiness follows what it needs to make progress", () => {
  let kafka: KafkaCluster;
  let app: LakeWriterApp;
  const started = Date.now();
  const timeline: string[] = [];
  const note = (what: string) => timeline.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${what}`);

  before(async () => {
    // The writer reads its extension files and never fetches them: provision first.
    await provisionDuckdbExtensions();
    // Dedicated: this test stops the broker.
    kafka = await startKafka();
  });
  after(async () => {
    await app?.stop();
    await kafka?.stop();
    process.stdout.write(`readiness timeline:\n  ${timeline.join("\n  ")}\n`);
  });

  async function readyz(): Promise<{ status: number; body: string }> {
    const response = await app.service.fastify.inject({ method: "GET", url: "/readyz" });
    return { status: response.statusCode, body: response.body };
  }
  async function waitReady(status: number, what: string): Promise<string> {
    const seen = await waitFor(
      async () => {
        const r = await readyz();
        return r.status === status ? r.body : undefined;
      },
      { what, timeoutMs: 120_000, intervalMs: 250 },
    );
    note(`${what}: /readyz ${status}`);
    return seen;
  }

  it("goes 503 while Kafka is down and while commits fail, and back to 200 with nothing lost", async () => {
    const topic = uniqueName("lw-ready");
    await createTopic(kafka.bootstrap, topic, 2);
    const dir = tempDir("lw-ready");
    const config = loadLakeWriterConfig({
      ...lakeWriterEnv({ bootstrap: kafka.bootstrap, topic, dir, groupId: uniqueName("lw-ready") }),
      LANGTIAN_LAKE_WRITER_LOG_LEVEL: "warn",
      LANGTIAN_LAKE_WRITER_READINESS_GRACE_MS: "1000",
      LANGTIAN_LAKE_WRITER_BATCH_FLUSH_INTERVAL_MS: "100",
    });
    app = createApp(config);
    await app.start();
    await app.service.listen();
    const check = await app.lake()?.connect();
    assert.ok(check);
    const rows = () => queryNumber(check, "SELECT count(*) FROM lake.device_telemetry_v1").catch(() => 0);

    await produce(kafka.bootstrap, topic, telemetryEvents(500));
    await waitFor(async () => ((await rows()) === 500 ? true : undefined), {
      what: "500 rows",
      timeoutMs: 60_000,
    });
    await waitReady(200, "writing");

    note("Kafka stopped");
    await kafka.stopBroker(0);
    const down = await waitReady(503, "Kafka down");
    assert.match(down, /source unreadable|a read from the source/);
    assert.equal(
      (await app.service.fastify.inject({ url: "/healthz" })).statusCode,
      200,
      "the process is alive",
    );
    note("Kafka started");
    await kafka.startBroker(0);
    await waitReady(200, "Kafka back");

    const day = findFolder(dir, "day=27");
    assert.ok(day, "the day's folder exists");
    const frozen = freezeFolder(day);
    note("day folder frozen");
    try {
      await produce(kafka.bootstrap, topic, telemetryEvents(500, 500));
      const failing = await waitReady(503, "commits failing");
      assert.match(failing, /lake commits failing/);
    } finally {
      frozen.thaw();
      note("day folder thawed");
    }
    await waitReady(200, "commits land again");
    await waitFor(async () => ((await rows()) === 1000 ? true : undefined), {
      what: "all 1000 rows",
      timeoutMs: 60_000,
    });
    assert.equal(
      await queryNumber(check, "SELECT count(DISTINCT sequence) FROM lake.device_telemetry_v1"),
      1000,
    );
  });
});
