import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { devicePayloadRegistry } from "@langtian/envelope";
import { testKafkaBootstrap, uniqueName } from "@langtian/testing";
import { createIngestLoop, type IngestLoop, type IngestObserver } from "../../src/ingest/ingest-loop.ts";
import { createKafkaSource, kafkaPartitionId } from "../../src/kafka/kafka-source.ts";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { claimPartition } from "../../src/lake/partition-ledger.ts";
import { createTableManager } from "../../src/tables/table-manager.ts";
import { createTopic, produce, telemetryEvents } from "../../src/testing/test-events.ts";
import {
  openWritableTestLake,
  queryNumber,
  type WritableTestLake,
  waitForNumber,
} from "../../src/testing/test-lake.ts";

const COUNT = "SELECT count(*) FROM lake.device_telemetry_v1";
const DISTINCT = "SELECT count(DISTINCT event_id) FROM lake.device_telemetry_v1";

describe("several writers, rebalances and zombies on a real Kafka and DuckLake", () => {
  let bootstrap: string;
  let test: WritableTestLake;
  let check: DuckDBConnection;
  const loops: IngestLoop[] = [];
  before(async () => {
    bootstrap = await testKafkaBootstrap();
    test = await openWritableTestLake();
    check = test.connection;
  });
  after(async () => {
    await Promise.all(loops.map((l) => l.abort()));
    await test.dispose();
  });

  async function startLoop(
    topic: string,
    groupId: string,
    owner: string,
    observer?: IngestObserver,
    reclaimFencedAfterMs?: number,
  ) {
    const connection = await test.lake.connect();
    const loop = createIngestLoop({
      source: createKafkaSource({
        bootstrap,
        topics: [topic],
        groupId,
        clientId: owner,
        sessionTimeoutMs: 10_000,
      }),
      writer: createBatchWriter({ connection, tables: createTableManager(connection), maxCommitRetries: 5 }),
      connection,
      owner,
      registry: devicePayloadRegistry,
      limits: { maxBatchRows: 300, maxBatchBytes: 1 << 20, flushIntervalMs: 100 },
      ...(observer && { observer }),
      ...(reclaimFencedAfterMs !== undefined && { reclaimFencedAfterMs }),
    });
    loops.push(loop);
    return loop;
  }

  /** A new two-partition topic holding 1,000 events from `firstSequence`, and the row count before. */
  async function twoPartitionsWithEvents(prefix: string, firstSequence: number) {
    const topic = uniqueName(prefix);
    await createTopic(bootstrap, topic, 2);
    const before = await queryNumber(check, COUNT);
    await produce(bootstrap, topic, telemetryEvents(1000, firstSequence));
    return { topic, groupId: uniqueName("lw-group"), before };
  }

  /** Claims partitions in the lake as `owner` would, without that owner being in the group. */
  async function claimFromOutsideTheGroup(topic: string, partitions: number[], owner: string) {
    const source = createKafkaSource({ bootstrap, topics: [topic], groupId: "unused", clientId: "keys" });
    for (const partition of partitions) {
      await claimPartition(check, source.keyOf(kafkaPartitionId(topic, partition)), owner);
    }
    await source.close();
  }

  it("keeps exactly N rows when a second writer joins and the first one leaves mid-stream", async () => {
    const topic = uniqueName("lw-rebalance");
    const groupId = uniqueName("lw-group");
    await createTopic(bootstrap, topic, 4);
    await produce(bootstrap, topic, telemetryEvents(3000));
    const first = await startLoop(topic, groupId, "writer-a");
    await waitForNumber(check, COUNT, 3000);
    const second = await startLoop(topic, groupId, "writer-b");
    await produce(bootstrap, topic, telemetryEvents(3000, 3000));
    await first.drain();
    await produce(bootstrap, topic, telemetryEvents(3000, 6000));
    await waitForNumber(check, COUNT, 9000);
    await second.drain();
    assert.equal(await queryNumber(check, DISTINCT), 9000);
    assert.equal(await queryNumber(check, COUNT), 9000);
  });

  it("fences a writer whose partitions were claimed by another owner: it writes nothing more (within the reclaim delay)", async () => {
    const { topic, groupId, before } = await twoPartitionsWithEvents("lw-zombie", 100_000);
    const fenced: string[] = [];
    const zombie = await startLoop(topic, groupId, "writer-zombie", { fenced: (p) => fenced.push(...p) });
    await waitForNumber(check, COUNT, before + 1000);
    // The group has moved on without the zombie noticing: a new owner claims its partitions.
    await claimFromOutsideTheGroup(topic, [0, 1], "writer-new-owner");
    await produce(bootstrap, topic, telemetryEvents(1000, 101_000));
    const deadline = Date.now() + 60_000;
    while (fenced.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(fenced.length, 2, "both partitions reported as fenced");
    assert.equal(
      await queryNumber(check, COUNT),
      before + 1000,
      "the zombie committed nothing after the claim",
    );
    await zombie.abort();
    // A legitimate owner picks the partitions up from the lake's positions: exactly N in the end.
    const owner = await startLoop(topic, groupId, "writer-next");
    await waitForNumber(check, COUNT, before + 2000);
    await owner.drain();
    assert.equal(await queryNumber(check, DISTINCT), before + 2000);
  });

  it("claims back, after the reclaim delay, partitions it was fenced on while the group still assigns them to it", async () => {
    const { topic, groupId, before } = await twoPartitionsWithEvents("lw-stale-claim", 200_000);
    const fenced: string[] = [];
    const assigned: string[][] = [];
    const writer = await startLoop(
      topic,
      groupId,
      "writer-owner",
      { fenced: (p) => fenced.push(...p), assigned: (p) => assigned.push([...p]) },
      1500,
    );
    await waitForNumber(check, COUNT, before + 1000);
    // Another writer claims both partitions on a group view that is no longer current (it saw an
    // older generation late); the group itself still assigns them to writer-owner.
    await claimFromOutsideTheGroup(topic, [0, 1], "writer-stale-view");
    await produce(bootstrap, topic, telemetryEvents(1000, 201_000));
    await waitForNumber(check, COUNT, before + 2000);
    await writer.drain();
    assert.ok(fenced.length >= 1, "the stale claim fenced the owner");
    assert.ok(assigned.length >= 2, "the owner applied its assignment again (the reclaim)");
    assert.equal(await queryNumber(check, DISTINCT), before + 2000);
    assert.equal(await queryNumber(check, COUNT), before + 2000);
  });
});
