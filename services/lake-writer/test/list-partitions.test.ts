import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type ListPartitionsResponse, ListPartitionsResponseSchema } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { tempDir, testKafkaBootstrap, uniqueName, waitFor } from "@langtian/testing";
import { createApp, type LakeWriterApp } from "../src/app.ts";
import { loadLakeWriterConfig } from "../src/config.ts";
import { lakeWriterEnv } from "../src/testing/lake-writer-env.ts";
import { createTopic, produce, telemetryEvents } from "../src/testing/test-events.ts";

const EVENTS = 300;

/** LakeWriterService/ListPartitions through the app's Connect edge, after events were committed. */
describe("lake writer ListPartitions", () => {
  let bootstrap: string;
  let app: LakeWriterApp | undefined;
  before(async () => {
    // The writer reads its extension files and never fetches them: provision first.
    await provisionDuckdbExtensions();
    bootstrap = await testKafkaBootstrap();
  });
  after(async () => {
    await app?.stop();
  });

  /** One Connect call (JSON over HTTP/1.1) injected into the app. */
  async function listPartitions(writer: LakeWriterApp): Promise<ListPartitionsResponse> {
    const response = await writer.service.fastify.inject({
      method: "POST",
      url: "/langtian.lakewriter.v1.LakeWriterService/ListPartitions",
      headers: { "content-type": "application/json" },
      payload: "{}",
    });
    assert.equal(response.statusCode, 200, response.body);
    return fromJson(ListPartitionsResponseSchema, response.json() as JsonValue);
  }

  it("reports each owned partition with the lake's position, epoch, lag and last commit", async () => {
    const topic = uniqueName("lw-list");
    await createTopic(bootstrap, topic, 2);
    const writer = createApp(
      loadLakeWriterConfig({
        ...lakeWriterEnv({ bootstrap, topic, dir: tempDir("lw-list"), groupId: uniqueName("lw-list") }),
        LANGTIAN_LAKE_WRITER_LOG_LEVEL: "warn",
        LANGTIAN_LAKE_WRITER_BATCH_FLUSH_INTERVAL_MS: "100",
      }),
    );
    app = writer;

    const idle = await listPartitions(writer);
    assert.equal(idle.owner, writer.service.instanceId);
    assert.deepEqual(idle.partitions, [], "nothing owned before start");

    const started = Date.now();
    await writer.start();
    await produce(bootstrap, topic, telemetryEvents(EVENTS));
    // Committed and caught up: the lake holds every event and the source has nothing more.
    const answer = await waitFor(
      async () => {
        const r = await listPartitions(writer);
        const stored = r.partitions.reduce((sum, p) => sum + (p.lakePosition ?? 0n), 0n);
        const caughtUp = r.partitions.every((p) => p.lag === 0n);
        return r.partitions.length === 2 && stored === BigInt(EVENTS) && caughtUp ? r : undefined;
      },
      { what: `${EVENTS} events committed and reported`, timeoutMs: 60_000, intervalMs: 200 },
    );

    assert.equal(answer.owner, writer.service.instanceId);
    assert.deepEqual(
      answer.partitions.map((p) => [p.source, p.partition]),
      [
        [`kafka:${topic}`, "0"],
        [`kafka:${topic}`, "1"],
      ],
    );
    for (const p of answer.partitions) {
      assert.ok(p.epoch >= 1n, `partition ${p.partition} claimed (epoch ${p.epoch})`);
      assert.equal(p.endPosition, p.lakePosition, `partition ${p.partition} ends where the lake is`);
      assert.ok(p.lastCommitTime, `partition ${p.partition} has a last commit time`);
      const committedAt = timestampMs(p.lastCommitTime);
      assert.ok(committedAt >= started && committedAt <= Date.now(), `commit time ${committedAt} in the run`);
    }
  });
});
