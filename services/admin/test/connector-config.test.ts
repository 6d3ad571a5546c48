import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createEnvelope, encodeEnvelope, eventHeaderEntries, uuidv7 } from "@langtian/envelope";
import { AdminService, BridgeService } from "@langtian/proto";
import {
  type NodeService,
  startNodeService,
  sumMetric,
  tempDir,
  testKafkaBootstrap,
  testNatsUrl,
  uniqueName,
  waitFor,
} from "@langtian/testing";
import { type JetStreamClient, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { Consumer, type Message, stringDeserializer } from "@platformatic/kafka";
import { type AdminApp, createApp } from "../src/app.ts";
import { loadAdminConfig } from "../src/config.ts";
import { runCli as runAdminCli } from "../src/testing/run-cli.ts";

const ADMIN_TOKEN = "admin-operator-token-0123456789";
/** The bridge is run from its entry point (a service never imports another). */
const BRIDGE_MAIN = resolve(import.meta.dirname, "../../bridge/src/main.ts");

/** Every record of a topic, tallied by event id (the bridge's `langtian-event-id` header). */
async function tallyTopic(bootstrap: string, topic: string) {
  const consumer = new Consumer<string, Buffer, string, string>({
    groupId: `tally-${uuidv7()}`,
    clientId: "connector-config-test",
    bootstrapBrokers: bootstrap.split(","),
    deserializers: {
      key: stringDeserializer,
      headerKey: stringDeserializer,
      headerValue: stringDeserializer,
    },
    maxWaitTime: 100,
    retries: Number.MAX_SAFE_INTEGER,
    retryDelay: 500,
  });
  const counts = new Map<string, number>();
  const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
  stream.on("data", (record: Message<string, Buffer, string, string>) => {
    const id = record.headers.get("langtian-event-id") ?? "";
    counts.set(id, (counts.get(id) ?? 0) + 1);
  });
  return {
    counts,
    async close() {
      await stream.close();
      await consumer.close(true);
    },
  };
}

/** Publishes events at a steady rate until stopped, remembering when each was acknowledged. */
function startPublisher(js: JetStreamClient, subject: string, perTick: number, tickMs: number) {
  const published: { id: string; at: number }[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const tick = Array.from({ length: perTick }, async () => {
        const envelope = createEnvelope({
          eventId: uuidv7(),
          eventType: "device.alarm",
          schemaVersion: "1.0",
          sourceSystem: "test/site-1",
          partitionKey: "dev-1",
          payloadType: "application/octet-stream",
          payload: new Uint8Array(32),
        });
        const h = headers();
        for (const [name, value] of eventHeaderEntries(envelope) ?? []) h.set(name, value);
        const sentAt = Date.now();
        await js.publish(subject, encodeEnvelope(envelope), { msgID: envelope.eventId, headers: h });
        published.push({ id: envelope.eventId, at: sentAt });
      });
      await Promise.all([...tick, new Promise((r) => setTimeout(r, tickMs))]);
    }
  })();
  return {
    published,
    async stop() {
      running = false;
      await done;
    },
  };
}

/**
 * The shared connector configuration end to end: two bridge processes on one shared consumer
 * watch the bucket the admin writes; a new rule, an invalid value (refused by the admin,
 * ignored by the bridges when written straight into KV) and a rollback, while events flow.
 */
describe("shared connector configuration: admin and two running bridges", () => {
  const base = uniqueName("ccfg");
  const stream = base.toUpperCase();
  const subject = `t.${base}.dev1.alarm`;
  const oldTopic = `${base}.events`;
  const newTopic = `${base}.alarms`;
  const dlq = `${base}.dlq`;
  const bucket = `${base}_cfg`;
  let natsUrl: string;
  let kafkaBootstrap: string;
  let nc: NatsConnection;
  let app: AdminApp;
  let adminUrl: string;
  let client: Client<typeof AdminService>;
  const bridges: NodeService[] = [];
  let tallies: Awaited<ReturnType<typeof tallyTopic>>[] = [];
  const operator = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
  const own = { rules: [] as string[], defaultTopic: oldTopic, deadLetterTopic: dlq };
  const withRule = { rules: [`t.${base}.*.alarm=${newTopic}`], defaultTopic: oldTopic, deadLetterTopic: dlq };

  const bridgeEnv = (extra: Record<string, string> = {}) => ({
    LANGTIAN_BRIDGE_PORT: "0",
    LANGTIAN_BRIDGE_LOG_LEVEL: "info",
    LANGTIAN_BRIDGE_NATS_URL: natsUrl,
    LANGTIAN_BRIDGE_NATS_STREAM: stream,
    LANGTIAN_BRIDGE_NATS_STREAM_SUBJECTS: `t.${base}.>`,
    LANGTIAN_BRIDGE_NATS_STREAM_MAX_BYTES: String(64 * 1024 ** 2),
    LANGTIAN_BRIDGE_NATS_DURABLE: `bridge_${base}`,
    LANGTIAN_BRIDGE_NATS_FETCH_EXPIRES_MS: "2000",
    LANGTIAN_BRIDGE_KAFKA_BOOTSTRAP: kafkaBootstrap,
    LANGTIAN_BRIDGE_KAFKA_PARTITIONS: "3",
    LANGTIAN_BRIDGE_TOPICS_DEFAULT_TOPIC: oldTopic,
    LANGTIAN_BRIDGE_TOPICS_DEAD_LETTER_TOPIC: dlq,
    LANGTIAN_BRIDGE_CONNECTOR_CONFIG_BUCKET: bucket,
    ...extra,
  });

  before(async () => {
    natsUrl = await testNatsUrl();
    kafkaBootstrap = await testKafkaBootstrap();
    nc = await connect({ servers: natsUrl });
    // Provision once, with a rule that creates the topic the new rule will route to.
    await new Promise<void>((done, fail) =>
      execFile(
        process.execPath,
        [BRIDGE_MAIN, "provision"],
        {
          env: {
            ...process.env,
            ...bridgeEnv({ LANGTIAN_BRIDGE_TOPICS_RULES: `t.${base}.never=${newTopic}` }),
          },
        },
        (err, _stdout, stderr) => (err === null ? done() : fail(new Error(`provision failed: ${stderr}`))),
      ),
    );
    app = createApp(
      loadAdminConfig(
        {},
        {
          port: 0,
          logLevel: "warn",
          operatorToken: ADMIN_TOKEN,
          nats: { url: natsUrl, streams: [] },
          kafka: { topics: [] },
          audit: { stream: uniqueName("AUDIT").toUpperCase() },
          connectorConfig: { bucket },
        },
      ),
    );
    await app.start();
    adminUrl = (await app.service.listen()).url;
    client = createClient(AdminService, createConnectTransport({ baseUrl: adminUrl, httpVersion: "1.1" }));
    const logs = tempDir("ccfg");
    for (const name of ["bridge-1", "bridge-2"])
      bridges.push(
        await startNodeService({
          name,
          script: BRIDGE_MAIN,
          env: bridgeEnv(),
          logFile: join(logs, `${name}.log`),
        }),
      );
    tallies = [await tallyTopic(kafkaBootstrap, oldTopic), await tallyTopic(kafkaBootstrap, newTopic)];
  });

  after(async () => {
    for (const t of tallies) await t.close().catch(() => undefined);
    for (const b of bridges) await b.process.kill();
    await app?.stop();
    if (nc !== undefined) {
      const jsm = await jetstreamManager(nc);
      for (const s of [stream, `KV_${bucket}`]) await jsm.streams.delete(s).catch(() => undefined);
      await nc.close();
    }
  });

  const codeOf = async (run: () => Promise<unknown>) => {
    try {
      await run();
      return "ok";
    } catch (err) {
      return Code[ConnectError.from(err).code];
    }
  };
  const stateOf = (bridge: NodeService) =>
    createClient(
      BridgeService,
      createConnectTransport({ baseUrl: bridge.url, httpVersion: "1.1" }),
    ).getBridgeState({});
  const set = async (config: unknown, expectedRevision?: bigint) =>
    (
      await client.setConnectorConfig(
        { value: JSON.stringify(config), ...(expectedRevision === undefined ? {} : { expectedRevision }) },
        operator,
      )
    ).config?.revision ?? 0n;
  /** Ms until both bridges report `revision` (polled every 25 ms). */
  const appliedWithin = async (revision: bigint, since: number) => {
    const at: number[] = [];
    for (const bridge of bridges) {
      await waitFor(
        async () => ((await stateOf(bridge)).connectorConfigRevision === revision ? true : undefined),
        {
          what: `${bridge.name} to apply revision ${revision}`,
          timeoutMs: 10_000,
          intervalMs: 25,
        },
      );
      at.push(Date.now() - since);
    }
    return Math.max(...at);
  };

  it("routes by a new rule on both bridges within 2 s, refuses invalid values, rolls back; nothing lost or doubled", async (t) => {
    assert.equal((await client.getConnectorConfig({})).config, undefined, "nothing written yet");
    for (const b of bridges) assert.equal((await stateOf(b)).connectorConfigRevision, 0n);
    const js = jetstream(nc);
    const publisher = startPublisher(js, subject, 10, 20);
    try {
      // Revision 1: the routing the bridges have on their own, compare-and-set on "none yet".
      const r1 = await set({ topics: own }, 0n);
      assert.equal(
        await codeOf(() => set({ topics: own }, 0n)),
        "Aborted",
        "compare-and-set: revision 1 exists",
      );
      await appliedWithin(r1, Date.now());
      await new Promise((r) => setTimeout(r, 1000));

      // Revision 2: the new rule.
      const setAt = Date.now();
      const r2 = await set({ topics: withRule }, r1);
      const applied = await appliedWithin(r2, setAt);
      assert.ok(applied <= 2000, `both bridges applied the new rule ${applied} ms after the change`);
      t.diagnostic(`new rule applied by both bridges ${applied} ms after the change`);
      for (const b of bridges)
        assert.deepEqual(
          (await stateOf(b)).topicRules.map((r) => `${r.subjectPattern}=${r.topic}`),
          withRule.rules,
        );
      await new Promise((r) => setTimeout(r, 2500));

      // Invalid: refused by the admin, and ignored by the bridges when written around it.
      const invalid = { topics: { ...withRule, rules: ["t.>.x=bad topic"] } };
      assert.equal(await codeOf(() => set(invalid)), "InvalidArgument");
      const kv = await new Kvm(nc).open(bucket);
      const r3 = BigInt(await kv.put("bridge", JSON.stringify(invalid)));
      await waitFor(
        async () => {
          const counts = await Promise.all(
            bridges.map(async (b) =>
              sumMetric(await b.metricsText(), "langtian_bridge_connector_config_rejected_total"),
            ),
          );
          return counts.every((c) => c === 1) ? true : undefined;
        },
        { what: "both bridges to refuse the invalid value", timeoutMs: 5_000 },
      );
      for (const b of bridges)
        assert.equal((await stateOf(b)).connectorConfigRevision, r2, "the running one stays");
      const invalidAt = Date.now();
      await new Promise((r) => setTimeout(r, 1500));

      // Rollback to revision 1: the bridges' first routing again.
      const rollbackAt = Date.now();
      const r4 = (await client.rollbackConnectorConfig({ revision: r1 }, operator)).config?.revision ?? 0n;
      assert.ok(r4 > r3);
      assert.ok((await appliedWithin(r4, rollbackAt)) <= 2000);
      await new Promise((r) => setTimeout(r, 2500));
      await publisher.stop();

      // Every event exactly once, across both topics, and where its time says it belongs.
      const [inOld, inNew] = tallies as [
        Awaited<ReturnType<typeof tallyTopic>>,
        Awaited<ReturnType<typeof tallyTopic>>,
      ];
      const ids = publisher.published;
      await waitFor(
        async () => (ids.every(({ id }) => inOld.counts.has(id) || inNew.counts.has(id)) ? true : undefined),
        { what: "every event in Kafka", timeoutMs: 30_000 },
      );
      t.diagnostic(`${ids.length} events, ${inNew.counts.size} by the new rule`);
      const doubled = ids.filter(({ id }) => (inOld.counts.get(id) ?? 0) + (inNew.counts.get(id) ?? 0) !== 1);
      assert.deepEqual(doubled, [], "each event written once");
      const misrouted = ids.filter(({ id, at }) => {
        const topic = inNew.counts.has(id) ? "new" : "old";
        // An event published just before a change may be admitted just after it: a margin.
        if (at < setAt - 500) return topic !== "old";
        if (at >= setAt + 2000 && at < rollbackAt - 500) return topic !== "new";
        if (at >= rollbackAt + 2000) return topic !== "old";
        return false;
      });
      assert.deepEqual(misrouted, [], "routed by the rule in effect 2 s after each change");
      assert.ok(
        ids.some(({ at }) => at >= invalidAt && at < rollbackAt),
        "events flowed while the invalid value was ignored",
      );
      assert.ok(ids.filter(({ at }) => at >= setAt + 2000 && at < rollbackAt).length > 100);
    } finally {
      await publisher.stop();
    }
  });

  it("answers revisions, diffs and dry runs, and audits every mutation", async () => {
    const { revisions } = await client.listConnectorConfigRevisions({});
    assert.equal(revisions.length, 4);
    const [r4, r3, r2, r1] = revisions.map((r) => r.revision) as [bigint, bigint, bigint, bigint];
    assert.ok(r4 > r3 && r3 > r2 && r2 > r1);
    const diff = await client.diffConnectorConfig({ fromRevision: r1, toRevision: r2 });
    assert.deepEqual(
      diff.changes.map((c) => [c.path, c.from, c.to]),
      [["topics.rules[0]", "", JSON.stringify(withRule.rules[0])]],
    );
    assert.deepEqual((await client.diffConnectorConfig({ fromRevision: r1, toRevision: r4 })).changes, []);
    const dry = await client.validateConnectorConfig({
      value: JSON.stringify({ topics: withRule }),
      sampleSubjects: [subject, `t.${base}.dev1.status`],
    });
    assert.equal(dry.valid, true);
    assert.deepEqual(
      dry.routes.map((r) => [r.subject, r.topic]),
      [
        [subject, newTopic],
        [`t.${base}.dev1.status`, oldTopic],
      ],
    );
    const bad = await client.validateConnectorConfig({ value: '{"topics": {}}' });
    assert.equal(bad.valid, false);
    assert.ok(bad.problems.length >= 3, bad.problems.join("; "));
    assert.equal(
      await codeOf(() => client.rollbackConnectorConfig({ revision: r3 }, operator)),
      "InvalidArgument",
    );
    assert.equal(
      await codeOf(() => client.rollbackConnectorConfig({ revision: 999_999n }, operator)),
      "NotFound",
    );
    assert.equal(
      await codeOf(() => client.setConnectorConfig({ value: JSON.stringify({ topics: own }) })),
      "Unauthenticated",
      "operator only",
    );

    const { entries } = await client.listAudit({ limit: 14 }, operator);
    assert.deepEqual(entries.map((e) => [e.action, e.result]).reverse(), [
      ["SetConnectorConfig", "requested"],
      ["SetConnectorConfig", "ok"],
      ["SetConnectorConfig", "requested"],
      ["SetConnectorConfig", "aborted"],
      ["SetConnectorConfig", "requested"],
      ["SetConnectorConfig", "ok"],
      ["SetConnectorConfig", "requested"],
      ["SetConnectorConfig", "invalid_argument"],
      ["RollbackConnectorConfig", "requested"],
      ["RollbackConnectorConfig", "ok"],
      ["RollbackConnectorConfig", "requested"],
      ["RollbackConnectorConfig", "invalid_argument"],
      ["RollbackConnectorConfig", "requested"],
      ["RollbackConnectorConfig", "not_found"],
    ]);
    assert.ok(entries.every((e) => e.target === `${bucket}/bridge` && e.actor === "operator"));
  });

  it("the langtian CLI gets, validates, diffs, sets with compare-and-set and rolls back", async () => {
    // The admin by --admin: the same whatever the environment variable is named.
    const env = { LANGTIAN_OPERATOR_TOKEN: ADMIN_TOKEN };
    const runCli = (args: string[], e: Record<string, string>) =>
      runAdminCli([...args, "--admin", adminUrl], e);
    const got = await runCli(["config", "get"], env);
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(JSON.parse(got.stdout), { topics: own, pipeline: {} });
    assert.match(got.stderr, /^revision \d+/);

    const dir = tempDir("ccfg-cli");
    const file = join(dir, "new.json");
    writeFileSync(file, JSON.stringify({ topics: withRule, pipeline: { maxBatchRecords: 500 } }));
    const valid = await runCli(["config", "validate", file, "--subject", subject], env);
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(
      valid.stdout,
      new RegExp(`${subject.replaceAll(".", "\\.")}\\s+${newTopic.replaceAll(".", "\\.")}`),
    );
    const diff = await runCli(["config", "diff", "--file", file], env);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /\+ topics\.rules\[0\]/);
    assert.match(diff.stdout, /\+ pipeline\.maxBatchRecords 500/);

    const stale = await runCli(["config", "set", file, "--expect", "1"], env);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /the current revision is \d+, not 1/);
    const { config: current } = await client.getConnectorConfig({});
    const written = await runCli(["config", "set", file, "--expect", String(current?.revision)], env);
    assert.equal(written.code, 0, written.stderr);
    assert.match(written.stdout, /^revision \d+ written/);
    const back = await runCli(["config", "rollback", String(current?.revision)], env);
    assert.equal(back.code, 0, back.stderr);
    const invalidFile = join(dir, "bad.json");
    writeFileSync(invalidFile, "{");
    const invalid = await runCli(["config", "validate", invalidFile], env);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /not JSON/);
    assert.equal((await runCli(["config", "frobnicate"], env)).code, 2);
  });
});
