import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AdminService } from "@langtian/proto";
import { tempDir, testNatsUrl, uniqueName } from "@langtian/testing";
import { type AdminApp, createApp, UnprotectedAdminError } from "../src/app.ts";
import { type AdminConfig, loadAdminConfig } from "../src/config.ts";

const VIEWER = "viewer-secret-0123456789";
const OPERATOR = "operator-secret-0123456789";

/** Keys with roles: a viewer sees, only an operator changes, every change audited under the key's name. */
describe("admin access", () => {
  let app: AdminApp;
  let client: Client<typeof AdminService>;
  let config: AdminConfig;

  before(async () => {
    const dir = tempDir("admin-access");
    config = loadAdminConfig(
      {},
      {
        port: 0,
        logLevel: "warn",
        access: { apiKeys: [`ana:${VIEWER}:viewer`, `olga:${OPERATOR}:operator`], requestsPerSecond: 0 },
        nats: { url: await testNatsUrl(), streams: [] },
        kafka: { topics: [] },
        audit: { stream: uniqueName("AUDIT").toUpperCase() },
        lake: { catalog: "sqlite", catalogPath: `${dir}/none.sqlite`, dataPath: `${dir}/data` },
      },
    );
    app = createApp(config);
    await app.start();
    const { url } = await app.service.listen();
    client = createClient(AdminService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
  });
  after(() => app?.stop());

  const as = (secret: string | undefined) =>
    secret === undefined ? {} : { headers: { authorization: `Bearer ${secret}` } };
  const codeOf = async (call: () => Promise<unknown>) => {
    try {
      await call();
      return "ok";
    } catch (err) {
      return Code[ConnectError.from(err).code];
    }
  };
  const drain = (secret: string | undefined) =>
    codeOf(async () => {
      for await (const _ of client.drainInstance({ instance: "nope" }, as(secret))) {
        // drained
      }
    });

  it("lets a viewer see and refuses it every change; an operator may change", async () => {
    assert.equal(await codeOf(() => client.getOverview({}, as(VIEWER))), "ok");
    assert.equal(await codeOf(() => client.listAudit({}, as(VIEWER))), "ok");
    assert.equal(await drain(VIEWER), "PermissionDenied");
    assert.equal(
      await codeOf(() => client.setConnectorConfig({ value: "{}" }, as(VIEWER))),
      "PermissionDenied",
    );
    assert.equal(
      await codeOf(() => client.replayDeadLetters({ ids: ["x"] }, as(VIEWER))),
      "PermissionDenied",
    );
    assert.equal(
      await codeOf(() => client.rollbackConnectorConfig({ revision: 1n }, as(VIEWER))),
      "PermissionDenied",
    );
    // The operator passes the gate; the instance it names does not exist.
    assert.equal(await drain(OPERATOR), "NotFound");
  });

  it("refuses calls without a key or with a wrong one once keys are configured", async () => {
    assert.equal(await codeOf(() => client.getOverview({}, as(undefined))), "Unauthenticated");
    assert.equal(
      await codeOf(() => client.getOverview({}, as("not-a-key-of-ours-0123456789"))),
      "Unauthenticated",
    );
    assert.equal(await drain(undefined), "Unauthenticated");
  });

  it("audits a change under the key's name", async () => {
    const { entries } = await client.listAudit({}, as(OPERATOR));
    assert.deepEqual(
      entries.map((e) => [e.actor, e.action, e.result]),
      [
        ["olga", "DrainInstance", "not_found"],
        ["olga", "DrainInstance", "requested"],
      ],
    );
  });

  it("refuses to start beyond loopback without keys", () => {
    assert.throws(
      () => createApp({ ...config, host: "0.0.0.0", access: { ...config.access, apiKeys: [] } }),
      UnprotectedAdminError,
    );
  });
});
