import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AdminService, Phase } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import {
  freePort,
  startWrittenLake,
  testKafkaBootstrap,
  testNatsUrl,
  uniqueName,
  type WrittenLake,
} from "@langtian/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type AdminApp, createApp } from "../src/app.ts";
import { loadAdminConfig } from "../src/config.ts";
import { runCli } from "../src/testing/run-cli.ts";

const EVENTS = 2_000;

/**
 * The admin overview of a running lake writer (a real child process on real Kafka), a real
 * JetStream stream and an instance that is down: every part matches what it reports itself,
 * and the instance that is down degrades only its own entry.
 */
/** Waits out the time the admin shares one overview read among callers, so the next call reads afresh. */
const freshRead = () => new Promise((resolve) => setTimeout(resolve, 600));

describe("admin overview", () => {
  let lake: WrittenLake;
  let nc: NatsConnection;
  let app: AdminApp;
  let client: Client<typeof AdminService>;
  let stream: string;
  let adminUrl: string;

  before(async () => {
    await provisionDuckdbExtensions();
    lake = await startWrittenLake(EVENTS);
    const natsUrl = await testNatsUrl();
    nc = await connect({ servers: natsUrl });
    stream = uniqueName("ADMIN").toUpperCase();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], max_bytes: 16 * 1024 * 1024 });
    await jsm.consumers.add(stream, { durable_name: "reader", ack_policy: "explicit" });
    const js = jetstream(nc);
    for (let i = 0; i < 5; i++) await js.publish(`${stream}.x`, new Uint8Array([i]));
    const down = `http://127.0.0.1:${await freePort()}`;
    app = createApp(
      loadAdminConfig(
        {},
        {
          port: 0,
          logLevel: "warn",
          deployment: {
            instances: [`lake-writer-1=lake-writer@${lake.writer.url}`, `bridge-9=bridge@${down}`],
          },
          nats: { url: natsUrl, streams: [stream] },
          kafka: { bootstrap: (await testKafkaBootstrap()).split(","), topics: [lake.topic] },
          lake: lake.lakeSettings(),
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
    await nc?.close();
    await lake?.stop();
  });

  it("shows each part as it reports itself, and the exactly-once lag", async () => {
    const { overview } = await client.getOverview({});
    assert.ok(overview !== undefined);
    const writer = overview.instances.find((i) => i.name === "lake-writer-1");
    assert.equal(writer?.error, "");
    assert.equal(writer?.stage, "lake-writer");
    assert.equal(writer?.live, true);
    assert.equal(writer?.ready, true);
    assert.equal(writer?.phase, Phase.RUNNING);
    assert.equal(writer?.version, "0.1.0");
    assert.ok((writer?.dependencies.length ?? 0) > 0);

    const down = overview.instances.find((i) => i.name === "bridge-9");
    assert.notEqual(down?.error, "", "an instance that is down degrades its own entry");
    assert.equal(down?.live, false);

    const s = overview.streams.find((x) => x.name === stream);
    assert.equal(s?.error, "");
    assert.equal(s?.messages, 5n);
    assert.equal(s?.consumers.find((c) => c.name === "reader")?.pending, 5n);

    const topic = overview.topics.find((t) => t.name === lake.topic);
    assert.equal(topic?.error, "");
    const ends = topic?.partitions.reduce((sum, p) => sum + p.endOffset, 0n);
    const inLake = topic?.partitions.reduce((sum, p) => sum + p.lakePosition, 0n);
    assert.equal(ends, BigInt(EVENTS));
    assert.equal(inLake, BigInt(EVENTS), "the lake holds every offset");
    assert.ok(topic?.partitions.every((p) => p.lakeLag === 0n));

    assert.equal(overview.lake?.error, "");
    const rows = overview.lake?.tables.reduce((sum, t) => sum + t.rows, 0n);
    assert.equal(rows, BigInt(EVENTS));
    assert.ok(overview.lake?.lastCommitTime !== undefined);
  });

  it("shows rates from the second read on", async () => {
    await freshRead();
    const { overview } = await client.getOverview({});
    const writer = overview?.instances.find((i) => i.name === "lake-writer-1");
    assert.ok("rows_written" in (writer?.rates ?? {}), JSON.stringify(writer?.rates));
    assert.ok("dead_letters" in (writer?.errors ?? {}), JSON.stringify(writer?.errors));
  });

  it("shows the lag while events wait for the lake; a stopped writer degrades only its entry", async () => {
    await lake.stop();
    await lake.produce(300);
    await freshRead();
    const { overview } = await client.getOverview({});
    const topic = overview?.topics.find((t) => t.name === lake.topic);
    const lag = topic?.partitions.reduce((sum, p) => sum + p.lakeLag, 0n);
    assert.equal(lag, 300n, "300 records in Kafka not yet in the lake");
    const writer = overview?.instances.find((i) => i.name === "lake-writer-1");
    assert.notEqual(writer?.error, "", "the stopped writer now degrades its entry");
    assert.equal(overview?.lake?.error, "", "the lake is still readable");
  });

  it("the langtian CLI prints the overview for people and for scripts, exit 3 when a part is down", async () => {
    const human = await runCli(["status", "--admin", adminUrl]);
    assert.equal(human.code, 3, human.stderr);
    assert.match(human.stdout, /^INSTANCE\s+STAGE\s+READY/m);
    assert.match(human.stdout, /^bridge-9\s+bridge\s+-/m);
    assert.match(human.stdout, new RegExp(`^${lake.topic}\\s+0\\s+\\d+`, "m"));
    const json = await runCli(["status", "--json", "--admin", adminUrl]);
    const parsed = JSON.parse(json.stdout) as { instances: { name: string }[] };
    assert.deepEqual(
      parsed.instances.map((i) => i.name),
      ["lake-writer-1", "bridge-9"],
    );
    const unreachable = await runCli(["status", "--admin", "http://127.0.0.1:1"]);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /ECONNREFUSED/);
    const usage = await runCli(["frobnicate"]);
    assert.equal(usage.code, 2);
  });

  it("streams overviews until the client goes away", async () => {
    const controller = new AbortController();
    const times: bigint[] = [];
    await assert.rejects(async () => {
      for await (const message of client.watchOverview({ intervalMs: 500 }, { signal: controller.signal })) {
        times.push(message.overview?.time?.seconds ?? 0n);
        if (times.length === 2) controller.abort();
      }
    }, /aborted/);
    assert.equal(times.length, 2);
  });
});
