import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { devicePayloadRegistry } from "@langtian/envelope";
import type { LakeConfig } from "@langtian/lake";
import {
  freezeFolder,
  startPostgres,
  testKafkaBootstrap,
  testNatsUrl,
  uniqueName,
  waitFor,
} from "@langtian/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createIngestLoop, type IngestLoop } from "../../src/ingest/ingest-loop.ts";
import type { Source } from "../../src/ingest/source.ts";
import { createJetStreamSource } from "../../src/jetstream/jetstream-source.ts";
import { createKafkaSource } from "../../src/kafka/kafka-source.ts";
import { createBatchWriter } from "../../src/lake/batch-writer.ts";
import { ensureStateSchema } from "../../src/lake/partition-ledger.ts";
import { createTableManager } from "../../src/tables/table-manager.ts";
import { findFolder, mountSmallVolume } from "../../src/testing/faults.ts";
import { startSeaweedfs } from "../../src/testing/start-seaweedfs.ts";
import { createTopic, produce, telemetryEvents } from "../../src/testing/test-events.ts";
import { openTestLake, queryNumber, type TestLake, waitForNumber } from "../../src/testing/test-lake.ts";

const TABLE = "lake.device_telemetry_v1";
const COUNT = `SELECT count(*) FROM ${TABLE}`;
/** Events fed before, during and after the fault. */
const PER_PHASE = 1000;

/**
 * A real fault between reading and committing: it is set up around the lake, injected
 * once the first events are in, and healed after the writer has shown it cannot commit.
 */
interface Fault {
  name: string;
  /** Lake settings the fault needs (storage on S3, a PostgreSQL catalog, a small volume). */
  setUp(): Promise<{ lake: Partial<LakeConfig>; tearDown(): Promise<void> }>;
  inject(test: TestLake): Promise<() => Promise<void>>;
}

const faults: Fault[] = [
  {
    name: "the day's table folder is read-only (IO error)",
    setUp: async () => ({ lake: {}, tearDown: async () => undefined }),
    async inject(test) {
      const day = findFolder(test.dir, "day=27");
      assert.ok(day, "the day's partition folder exists after the first commits");
      const frozen = freezeFolder(day);
      return async () => frozen.thaw();
    },
  },
  {
    name: "the data volume is full (ENOSPC)",
    async setUp() {
      const volume = await mountSmallVolume(64);
      faultState.set("volume", volume);
      return { lake: { dataPath: volume.dir }, tearDown: () => volume.dispose() };
    },
    async inject() {
      const volume = faultState.get("volume") as Awaited<ReturnType<typeof mountSmallVolume>>;
      await volume.fill();
      return async () => volume.free();
    },
  },
  {
    name: "the S3 server is stopped",
    async setUp() {
      const store = await startSeaweedfs();
      faultState.set("s3", store);
      return {
        lake: { dataPath: `s3://${store.bucket}/events/`, s3: store.s3 },
        tearDown: () => store.stop(),
      };
    },
    async inject() {
      const store = faultState.get("s3") as Awaited<ReturnType<typeof startSeaweedfs>>;
      await store.pause();
      return () => store.resume();
    },
  },
  {
    name: "the PostgreSQL catalog is stopped",
    async setUp() {
      const postgres = await startPostgres();
      faultState.set("postgres", postgres);
      return { lake: { catalog: { kind: "postgres", dsn: postgres.dsn } }, tearDown: () => postgres.stop() };
    },
    async inject() {
      const postgres = faultState.get("postgres") as Awaited<ReturnType<typeof startPostgres>>;
      await postgres.pause();
      return () => postgres.resume();
    },
  },
];
/** Servers and volumes a fault set up, for its inject step. */
const faultState = new Map<string, unknown>();

/** A source under test: where events are fed and how the loop reads them. */
interface Feed {
  source(): Source;
  send(first: number, count: number): Promise<void>;
}

const feeds: { name: string; create(): Promise<Feed> }[] = [
  {
    name: "Kafka",
    async create() {
      const bootstrap = await testKafkaBootstrap();
      const topic = uniqueName("lw-faults");
      await createTopic(bootstrap, topic, 3);
      return {
        source: () =>
          createKafkaSource({
            bootstrap,
            topics: [topic],
            groupId: uniqueName("lw-faults"),
            clientId: "faults",
          }),
        send: (first, count) => produce(bootstrap, topic, telemetryEvents(count, first)),
      };
    },
  },
  {
    name: "JetStream",
    async create() {
      const nc: NatsConnection = await connect({ servers: await testNatsUrl() });
      connections.push(nc);
      const stream = uniqueName("LW_FAULTS").toUpperCase();
      const subject = `${stream.toLowerCase()}.events`;
      await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [subject] });
      const js = jetstream(nc);
      const url = await testNatsUrl();
      return {
        source: () => createJetStreamSource({ url, stream }),
        async send(first, count) {
          await Promise.all(telemetryEvents(count, first).map((e) => js.publish(subject, e.value)));
        },
      };
    },
  },
];
const connections: NatsConnection[] = [];

describe("a failed lake commit skips nothing: every accepted event lands once the fault is gone", () => {
  after(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
  });

  for (const fault of faults) {
    for (const feedKind of feeds) {
      it(`${feedKind.name} source, ${fault.name}`, async () => {
        const { lake: lakeConfig, tearDown } = await fault.setUp();
        const test = await openTestLake(lakeConfig);
        let loop: IngestLoop | undefined;
        let heal: (() => Promise<void>) | undefined;
        const failures: string[] = [];
        try {
          const check: DuckDBConnection = await test.lake.connect();
          await ensureStateSchema(check);
          const feed = await feedKind.create();
          const connection = await test.lake.connect();
          loop = createIngestLoop({
            source: feed.source(),
            writer: createBatchWriter({
              connection,
              tables: createTableManager(connection),
              maxCommitRetries: 3,
              dedupe: true,
            }),
            connection,
            owner: "writer-1",
            registry: devicePayloadRegistry,
            limits: { maxBatchRows: 200, maxBatchBytes: 1 << 20, flushIntervalMs: 100 },
            retryDelayMs: 100,
            dedupe: true,
            observer: { commitFailed: (err) => failures.push(String(err)) },
          });
          await feed.send(0, PER_PHASE);
          await waitForNumber(check, COUNT, PER_PHASE);

          heal = await fault.inject(test);
          await feed.send(PER_PHASE, PER_PHASE);
          // The writer must notice: commits fail, it says it is stalled, and keeps retrying.
          const running = loop;
          const stalled = await waitFor(async () => (failures.length >= 2 ? running.stalled() : undefined), {
            what: "the writer to report failing commits",
            timeoutMs: 60_000,
            intervalMs: 50,
          });
          assert.match(stalled, /lake commits failing/);
          const undo = heal;
          heal = undefined;
          await undo();

          await feed.send(2 * PER_PHASE, PER_PHASE);
          await waitForNumber(check, COUNT, 3 * PER_PHASE, 120_000);
          assert.equal(
            await queryNumber(check, `SELECT count(DISTINCT event_id) FROM ${TABLE}`),
            3 * PER_PHASE,
          );
          assert.equal(
            await queryNumber(check, `SELECT count(DISTINCT sequence) FROM ${TABLE}`),
            3 * PER_PHASE,
          );
          assert.equal(await queryNumber(check, `SELECT max(sequence) FROM ${TABLE}`), 3 * PER_PHASE - 1);
          assert.equal(loop.stalled(), undefined, "ready again once commits land");
        } finally {
          await heal?.().catch(() => undefined);
          await loop?.abort();
          await test.dispose();
          await tearDown();
        }
      });
    }
  }
});
