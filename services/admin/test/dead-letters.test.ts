import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createEnvelope, encodeEnvelope, eventHeaderEntries, uuidv7 } from "@langtian/envelope";
import { AdminService, type DeadLetter } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import {
  type NodeService,
  startNodeService,
  startWrittenLake,
  tempDir,
  testKafkaBootstrap,
  testNatsUrl,
  uniqueName,
  type WrittenLake,
  waitFor,
} from "@langtian/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";
import { Producer } from "@platformatic/kafka";
import { type AdminApp, createApp } from "../src/app.ts";
import { loadAdminConfig } from "../src/config.ts";
import { runCli } from "../src/testing/run-cli.ts";

const ADMIN_TOKEN = "admin-operator-token-0123456789";
const BRIDGE_MAIN = resolve(import.meta.dirname, "../../bridge/src/provision-and-run.ts");

/**
 * Dead letters made by the real stages — the lake writer (a child process on the shared Kafka)
 * and the bridge (a child process between a JetStream stream and that Kafka) — listed, shown
 * and replayed through the admin.
 */
describe("admin dead letters", () => {
  let lake: WrittenLake;
  let nc: NatsConnection;
  let bridge: NodeService | undefined;
  let app: AdminApp;
  let client: Client<typeof AdminService>;
  let adminUrl: string;
  let bootstrap: string;
  let natsUrl: string;
  const stream = uniqueName("DLQ")
    .toUpperCase()
    .replace(/[^A-Z0-9_-]/g, "_");
  const prefix = `dlq.${stream.toLowerCase()}`;
  const deadLetterTopic = `${uniqueName("dlq")}.bridge-dead-letter`;
  const collectorStream = `${stream}_COLLECTOR`;
  const collectorSubject = `${prefix}-collector.rejected`;
  const dir = tempDir("admin-dead-letters");

  const startBridge = (maxRecordBytes: number) =>
    startNodeService({
      name: "bridge",
      script: BRIDGE_MAIN,
      env: {
        LANGTIAN_BRIDGE_PORT: "0",
        LANGTIAN_BRIDGE_LOG_LEVEL: "info",
        LANGTIAN_BRIDGE_NATS_URL: natsUrl,
        LANGTIAN_BRIDGE_NATS_STREAM: stream,
        LANGTIAN_BRIDGE_NATS_STREAM_SUBJECTS: `${prefix}.>`,
        LANGTIAN_BRIDGE_NATS_DURABLE: `bridge_${stream}`,
        LANGTIAN_BRIDGE_NATS_FETCH_EXPIRES_MS: "2000",
        LANGTIAN_BRIDGE_KAFKA_BOOTSTRAP: bootstrap,
        LANGTIAN_BRIDGE_KAFKA_PARTITIONS: "2",
        LANGTIAN_BRIDGE_TOPICS_DEFAULT_TOPIC: lake.topic,
        LANGTIAN_BRIDGE_TOPICS_DEAD_LETTER_TOPIC: deadLetterTopic,
        LANGTIAN_BRIDGE_PIPELINE_MAX_RECORD_BYTES: String(maxRecordBytes),
        LANGTIAN_BRIDGE_PIPELINE_POISON_MAX_DELIVERIES: "1",
        LANGTIAN_BRIDGE_PIPELINE_BACKOFF_INITIAL_MS: "100",
        LANGTIAN_BRIDGE_PIPELINE_BACKOFF_MAX_MS: "1000",
      },
      logFile: join(dir, "bridge.log"),
    });

  before(async () => {
    await provisionDuckdbExtensions();
    bootstrap = await testKafkaBootstrap();
    natsUrl = await testNatsUrl();
    lake = await startWrittenLake(10);
    nc = await connect({ servers: natsUrl });
    await (await jetstreamManager(nc)).streams.add({ name: collectorStream, subjects: [collectorSubject] });
    bridge = await startBridge(1024);
    app = createApp(
      loadAdminConfig(
        {},
        {
          port: 0,
          logLevel: "warn",
          operatorToken: ADMIN_TOKEN,
          nats: { url: natsUrl, streams: [] },
          kafka: { bootstrap: bootstrap.split(","), topics: [lake.topic] },
          audit: { stream: uniqueName("AUDIT").toUpperCase() },
          lake: lake.lakeSettings(),
          deadLetters: { bridgeTopic: deadLetterTopic, collectorStream, eventsSubjectPrefix: prefix },
        },
      ),
    );
    await app.start();
    const { url } = await app.service.listen();
    adminUrl = url;
    client = createClient(AdminService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
  });
  after(async () => {
    await app?.stop();
    await bridge?.process.kill();
    await lake?.stop();
    const jsm = nc === undefined ? undefined : await jetstreamManager(nc);
    await jsm?.streams.delete(collectorStream).catch(() => undefined);
    await jsm?.streams.delete(stream).catch(() => undefined);
    await nc?.close();
  });

  const operator = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
  const list = async (stage: string) => (await client.listDeadLetters({ stage, limit: 100 })).deadLetters;
  const waitForCount = (stage: string, count: number, what: string) =>
    waitFor(
      async () => {
        const found = await list(stage);
        return found.length >= count ? found : undefined;
      },
      { what, timeoutMs: 60_000, intervalMs: 300 },
    );
  /** Rows of a lake table, as the overview counts them. */
  const rows = async (table: string) =>
    (await app.overview()).lake?.tables.find((t) => t.name === table)?.rows ?? 0n;
  /** Waits until the lake writer has committed every record of its topic (lake lag 0 past `end`). */
  const lakeCaughtUp = (atLeastEnd: bigint) =>
    waitFor(
      async () => {
        const topic = (await app.overview()).topics.find((t) => t.name === lake.topic);
        const end = topic?.partitions.reduce((n, p) => n + p.endOffset, 0n) ?? 0n;
        return end >= atLeastEnd && topic?.partitions.every((p) => p.lakeLag === 0n) ? end : undefined;
      },
      { what: "the lake writer to catch up with its topic", timeoutMs: 60_000, intervalMs: 300 },
    );
  const topicEnd = async () =>
    (await app.overview()).topics
      .find((t) => t.name === lake.topic)
      ?.partitions.reduce((n, p) => n + p.endOffset, 0n) ?? 0n;

  it("an undecodable record the lake writer dead-lettered: listed, shown, and replayed to its partition it dead-letters again", async () => {
    const producer = new Producer({ clientId: "dlq-test", bootstrapBrokers: bootstrap.split(",") });
    const garbage = Buffer.from("not an envelope at all");
    try {
      await producer.send({ messages: [{ topic: lake.topic, partition: 1, value: garbage }] });
    } finally {
      await producer.close();
    }
    const [dead] = await waitForCount("lake-writer", 1, "the lake writer's dead letter");
    assert.ok(dead !== undefined);
    assert.equal(dead.stage, "lake-writer");
    assert.notEqual(dead.reason, "");
    assert.equal(dead.rawBytes, garbage.length);
    assert.equal(dead.origin?.topic, lake.topic);
    assert.equal(dead.origin?.partition, 1);
    assert.equal(dead.origin?.lakeSource, `kafka:${lake.topic}`);
    const { deadLetter } = await client.getDeadLetter({ id: dead.id });
    assert.deepEqual(Buffer.from(deadLetter?.raw ?? []), garbage);

    const refused = await client.replayDeadLetters({ ids: [dead.id] }).then(
      () => "ok",
      (err: unknown) => Code[ConnectError.from(err).code],
    );
    assert.equal(refused, "Unauthenticated", "replay is operator only");

    const { results } = await client.replayDeadLetters({ ids: [dead.id] }, operator);
    assert.deepEqual(
      results.map((r) => [r.id, r.replayed, r.detail]),
      [[dead.id, true, `kafka:${lake.topic}/1`]],
    );
    // Back where it came from, it is read again and, still undecodable, dead-lettered again.
    const again = await waitForCount("lake-writer", 2, "the replayed record's new dead letter");
    const copies = again.filter((d) => d.rawBytes === garbage.length && d.origin?.partition === 1);
    assert.equal(copies.length, 2);
    assert.notEqual(copies[0]?.origin?.offset, copies[1]?.origin?.offset);
    // Paged one at a time: the same two, newest first, then no further page.
    const page1 = await client.listDeadLetters({ stage: "lake-writer", limit: 1 });
    assert.notEqual(page1.nextCursor, "");
    const page2 = await client.listDeadLetters({ stage: "lake-writer", limit: 1, cursor: page1.nextCursor });
    assert.equal(page2.nextCursor, "");
    assert.deepEqual(
      [...page1.deadLetters, ...page2.deadLetters].map((d) => d.id),
      again.map((d) => d.id),
    );
    const { entries } = await client.listAudit({ limit: 2 }, operator);
    assert.deepEqual(
      entries.map((e) => [e.action, e.target, e.result]),
      [
        ["ReplayDeadLetters", dead.id, "ok"],
        ["ReplayDeadLetters", dead.id, "requested"],
      ],
    );
    assert.equal(
      await client.getDeadLetter({ id: "lake-writer/nowhere/0/1" }).then(
        () => "ok",
        (err: unknown) => Code[ConnectError.from(err).code],
      ),
      "NotFound",
    );
  });

  it("an event the bridge dead-lettered as too large, replayed once the limit is raised, lands in the lake exactly once, however often it is replayed", async () => {
    const eventId = uuidv7();
    const envelope = createEnvelope({
      eventId,
      eventType: "test.replay",
      schemaVersion: "1.0",
      sourceSystem: "plant-r",
      partitionKey: "dev-r",
      payloadType: "application/octet-stream",
      payload: new Uint8Array(1500).fill(7),
    });
    const h = natsHeaders();
    for (const [name, value] of eventHeaderEntries(envelope) ?? []) h.set(name, value);
    h.set("Nats-Msg-Id", eventId);
    await jetstream(nc).publish(`${prefix}.test.replay`, encodeEnvelope(envelope), { headers: h });
    const [dead] = await waitForCount("bridge", 1, "the bridge's dead letter");
    assert.ok(dead !== undefined);
    assert.equal(dead.reason, "too-large-for-kafka");
    assert.equal(dead.eventId, eventId);
    assert.equal(dead.rawBytes, 0, "the record keeps no value when the value is the problem");
    assert.equal(dead.origin?.subject, `${prefix}.test.replay`);
    assert.ok((dead.origin?.streamSequence ?? 0n) > 0n);
    assert.equal(dead.origin?.topic, deadLetterTopic);

    // Replayed with nothing fixed, it is too large again: a second dead letter, nothing in the lake.
    const first = await client.replayDeadLetters({ ids: [dead.id] }, operator);
    assert.equal(first.results[0]?.replayed, true, first.results[0]?.detail);
    assert.equal(first.results[0]?.detail, `nats:${prefix}.test.replay`);
    await waitForCount("bridge", 2, "the bridge to dead-letter the copy again");
    assert.equal(await rows("test_replay_v1"), 0n);

    // The operator raises the limit (a new bridge), then replays: the event flows to the lake.
    await bridge?.process.kill();
    bridge = await startBridge(1_000_000);
    const endBefore = await topicEnd();
    const cli = await runCli(["dlq", "replay", dead.id, "--admin", adminUrl, "--token", ADMIN_TOKEN]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /yes/);
    await waitFor(async () => ((await rows("test_replay_v1")) === 1n ? true : undefined), {
      what: "the replayed event in the lake",
      timeoutMs: 60_000,
      intervalMs: 300,
    });
    await lakeCaughtUp(endBefore + 1n);

    // Again: a second copy reaches Kafka, and the lake writer keeps the one row.
    const second = await client.replayDeadLetters({ ids: [dead.id] }, operator);
    assert.equal(second.results[0]?.replayed, true);
    await lakeCaughtUp(endBefore + 2n);
    assert.equal(await rows("test_replay_v1"), 1n, "one row per event id, however often replayed");
    assert.equal((await list("lake-writer")).filter((d: DeadLetter) => d.eventId === eventId).length, 0);
  });

  it("the collector's dead letters: a raw datagram is listed and shown, and not replayed into the events stream", async () => {
    const h = natsHeaders();
    h.set("Langtian-Reason", "bad_magic");
    h.set("Langtian-Listener", "udp-frames");
    h.set("Langtian-Detail", "frame does not start with magic 'LT'");
    await jetstream(nc).publish(collectorSubject, Buffer.from("XX garbage"), { headers: h });
    const [dead] = await waitForCount("collector", 1, "the collector's dead letter");
    assert.ok(dead !== undefined);
    assert.equal(dead.reason, "bad_magic");
    assert.equal(dead.origin?.listener, "udp-frames");
    assert.equal(dead.origin?.subject, collectorSubject);
    const shown = await runCli(["dlq", "show", dead.id, "--admin", adminUrl]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`base64: ${Buffer.from("XX garbage").toString("base64")}`));
    const replay = await runCli([
      "dlq",
      "replay",
      dead.id,
      "--json",
      "--admin",
      adminUrl,
      "--token",
      ADMIN_TOKEN,
    ]);
    assert.equal(replay.code, 1, "not every dead letter was replayed");
    const body = JSON.parse(replay.stdout) as { results: { replayed?: boolean; detail: string }[] };
    assert.equal(body.results[0]?.replayed ?? false, false);
    assert.match(body.results[0]?.detail ?? "", /not an envelope/);
    const all = await runCli(["dlq", "list", "--admin", adminUrl]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^ID\s+FAILED AT\s+REASON/m);
    for (const stage of ["collector/", "bridge/", "lake-writer/"])
      assert.match(all.stdout, new RegExp(stage));
  });
});
