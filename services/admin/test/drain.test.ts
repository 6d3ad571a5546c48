import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AdminService, LifecycleService, Phase } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { startWrittenLake, testNatsUrl, uniqueName, type WrittenLake } from "@langtian/testing";
import { type AdminApp, createApp } from "../src/app.ts";
import { loadAdminConfig } from "../src/config.ts";
import { runCli } from "../src/testing/run-cli.ts";

const INSTANCE_TOKEN = "instance-operator-token-0123456789";
const ADMIN_TOKEN = "admin-operator-token-0123456789";

/** DrainInstance on a running lake writer process: refused without the role or as the last ready instance, audited. */
describe("admin drain", () => {
  let lake: WrittenLake;
  let app: AdminApp;
  let client: Client<typeof AdminService>;
  let adminUrl: string;

  before(async () => {
    await provisionDuckdbExtensions();
    lake = await startWrittenLake(500, {
      writerEnv: { LANGTIAN_LAKE_WRITER_OPERATOR_TOKEN: INSTANCE_TOKEN },
    });
    app = createApp(
      loadAdminConfig(
        {},
        {
          port: 0,
          logLevel: "warn",
          operatorToken: ADMIN_TOKEN,
          instanceOperatorToken: INSTANCE_TOKEN,
          deployment: { instances: [`lw-1=lake-writer@${lake.writer.url}`] },
          nats: { url: await testNatsUrl(), streams: [] },
          kafka: { topics: [] },
          audit: { stream: uniqueName("AUDIT").toUpperCase() },
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
    await lake?.stop();
  });

  const operator = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };
  const codeOf = async (run: () => Promise<unknown>) => {
    try {
      await run();
      return "ok";
    } catch (err) {
      return Code[ConnectError.from(err).code];
    }
  };
  const drain = async (request: { instance: string; force?: boolean }, options = operator) => {
    const steps = [];
    for await (const step of client.drainInstance({ deadlineMs: 30_000, ...request }, options))
      steps.push(step);
    return steps;
  };

  it("refuses without the operator token, an unknown instance, and the last ready instance of a stage", async () => {
    assert.equal(
      await codeOf(() => drain({ instance: "lw-1" }, { headers: { authorization: "" } })),
      "Unauthenticated",
    );
    assert.equal(await codeOf(() => drain({ instance: "nope" })), "NotFound");
    assert.equal(await codeOf(() => drain({ instance: "lw-1" })), "FailedPrecondition");
  });

  it("drains with force, streaming progress until the instance reports drained", async () => {
    const steps = await drain({ instance: "lw-1", force: true });
    const last = steps.at(-1);
    assert.equal(last?.done, true);
    assert.equal(last?.deadlineExceeded, false);
    assert.equal(last?.phase, Phase.DRAINED);
    const health = await createClient(
      LifecycleService,
      createConnectTransport({ baseUrl: lake.writer.url, httpVersion: "1.1" }),
    ).health({});
    assert.equal(health.phase, Phase.DRAINED, "the instance itself says so");
  });

  it("audits every mutation it was asked for, newest first", async () => {
    const { entries } = await client.listAudit({}, operator);
    assert.deepEqual(
      entries.map((e) => [e.action, e.target, e.result]),
      [
        ["DrainInstance", "lw-1", "ok"],
        ["DrainInstance", "lw-1", "requested"],
        ["DrainInstance", "lw-1", "failed_precondition"],
        ["DrainInstance", "lw-1", "requested"],
        ["DrainInstance", "nope", "not_found"],
        ["DrainInstance", "nope", "requested"],
      ],
    );
    assert.ok(entries.every((e) => e.actor === "operator" && e.time !== undefined));
    const older = await client.listAudit({ limit: 2, beforeSequence: entries[1]?.sequence ?? 0n }, operator);
    assert.deepEqual(
      older.entries.map((e) => e.sequence),
      [entries[2]?.sequence, entries[3]?.sequence],
    );
  });

  it("the langtian CLI drains, exits non-zero when refused, and lists the audit", async () => {
    const env = { LANGTIAN_CLI_ADMIN_URL: adminUrl, LANGTIAN_OPERATOR_TOKEN: ADMIN_TOKEN };
    const refused = await runCli(["drain", "nope"], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no instance "nope"/);
    const noToken = await runCli(["drain", "lw-1", "--force"], { LANGTIAN_CLI_ADMIN_URL: adminUrl });
    assert.equal(noToken.code, 1);
    const again = await runCli(["drain", "lw-1", "--force", "--json"], env);
    assert.equal(again.code, 0, again.stderr);
    const lines = again.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { done?: boolean; phase?: string });
    assert.equal(lines.at(-1)?.done, true);
    assert.equal(lines.at(-1)?.phase, "PHASE_DRAINED");
    const log = await runCli(["audit", "--limit", "2"], env);
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, /^SEQ\s+TIME\s+ACTOR/m);
    assert.match(log.stdout, /DrainInstance\s+lw-1\s+ok/);
  });
});
