import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { LifecycleService, QueryService } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import {
  type NodeService,
  startQueryApiProcess,
  startWrittenLake,
  tempDir,
  type WrittenLake,
  waitFor,
} from "@langtian/testing";
import { type AdminApp, createApp } from "../src/app.ts";
import { type AdminConfig, loadAdminConfig } from "../src/config.ts";

const EVENTS = 200;
const VIEWER = "viewer-secret-0123456789";
/** The admin's own key at the query API (a reader key there). */
const ADMIN_AT_QUERY_API = "admin-at-query-0123456789";
const UI_ORIGIN = "https://langtian.localhost";

/** The code of a failed call (fails the test when it succeeds). */
async function failure(call: () => Promise<unknown>): Promise<ConnectError> {
  try {
    await call();
  } catch (err) {
    return ConnectError.from(err);
  }
  assert.fail("the call succeeded");
}

const drain = async <T>(stream: AsyncIterable<T>): Promise<T[]> => {
  const parts: T[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
};

/**
 * The admin forwards QueryService to a real query API (a child process with keys, on a lake a
 * real lake writer wrote): answers match the query API's own, errors keep their code, callers
 * are admitted like AdminService's, a query API that went away is `unavailable`; and CORS for
 * a UI served from another origin.
 */
describe("admin QueryService proxy and CORS", () => {
  let lake: WrittenLake;
  let queryApi: NodeService;
  let app: AdminApp;
  let adminUrl: string;
  let direct: Client<typeof QueryService>;
  let proxied: Client<typeof QueryService>;
  let table: string;
  const asViewer = { headers: { authorization: `Bearer ${VIEWER}` } };
  /** An admin on the lake, viewer key ana, forwarding to the deployment's query API with `key`. */
  const adminConfig = ({ key }: { key: string | undefined }): AdminConfig =>
    loadAdminConfig(
      {},
      {
        port: 0,
        logLevel: "warn",
        access: { apiKeys: [`ana:${VIEWER}:viewer`], requestsPerSecond: 0 },
        // queryApi.url is left out: the query-api instance of the deployment model is used.
        deployment: { instances: [`query-api-1=query-api@${queryApi.url}`] },
        ...(key === undefined ? {} : { queryApi: { key } }),
        web: { allowedOrigins: [UI_ORIGIN] },
        kafka: { topics: [] },
        nats: { streams: [] },
        lake: lake.lakeSettings(),
      },
    );

  before(async () => {
    await provisionDuckdbExtensions();
    lake = await startWrittenLake(EVENTS);
    queryApi = await startQueryApiProcess(lake, { apiKeys: [`admin:${ADMIN_AT_QUERY_API}:reader`] });
    app = createApp(adminConfig({ key: ADMIN_AT_QUERY_API }));
    adminUrl = (await app.service.listen()).url;
    direct = createClient(
      QueryService,
      createConnectTransport({
        baseUrl: queryApi.url,
        httpVersion: "1.1",
        interceptors: [
          (next) => (req) => {
            req.header.set("authorization", `Bearer ${ADMIN_AT_QUERY_API}`);
            return next(req);
          },
        ],
      }),
    );
    proxied = createClient(QueryService, createConnectTransport({ baseUrl: adminUrl, httpVersion: "1.1" }));
    table =
      (await direct.listTables({})).tables.find((t) => t.eventTable)?.name ?? assert.fail("no event table");
  });
  after(async () => {
    await app?.stop();
    await queryApi?.process.kill();
    await lake?.stop();
  });

  it("answers ListTables and Browse as the query API does", async () => {
    assert.deepEqual(await proxied.listTables({}, asViewer), await direct.listTables({}));
    const first = await proxied.browse({ filter: { table }, pageSize: 50 }, asViewer);
    assert.equal(first.rows.length, 50);
    // Nothing is written meanwhile: both read the same snapshot.
    assert.deepEqual(first, await direct.browse({ filter: { table }, pageSize: 50 }));
    const next = await proxied.browse({ cursor: first.nextCursor }, asViewer);
    assert.deepEqual(next, await direct.browse({ cursor: first.nextCursor }));
  });

  it("streams Sql through, and a bad SQL keeps its code and message", async () => {
    const parts = await drain(
      proxied.sql(
        { sql: `SELECT source_system, count(*) AS n FROM lake.${table} GROUP BY 1 ORDER BY 1` },
        asViewer,
      ),
    );
    assert.equal(parts[0]?.part.case, "header");
    assert.equal(parts.at(-1)?.part.case, "summary");
    assert.equal(
      parts.flatMap((p) => (p.part.case === "rows" ? p.part.value.rows : [])).length,
      2,
      "plant-a and plant-b",
    );
    // A column that does not exist, and a syntax error (its message says where).
    for (const sql of [`SELECT nope FROM lake.${table}`, `SELECT * FROMM lake.${table}`]) {
      const expected = await failure(() => drain(direct.sql({ sql })));
      const got = await failure(() => drain(proxied.sql({ sql }, asViewer)));
      assert.equal(got.code, Code.InvalidArgument, sql);
      assert.equal(got.rawMessage, expected.rawMessage, "the query API's message");
    }
    const syntax = await failure(() => drain(proxied.sql({ sql: "SELECT * FROMM lake.x" }, asViewer)));
    assert.match(syntax.rawMessage, /cannot be parsed: syntax error at or near "lake"/);
    assert.equal(
      (await failure(() => proxied.describeTable({ table: "no_such_table" }, asViewer))).code,
      Code.NotFound,
    );
  });

  it("cancels the query API's query when the caller goes away", async () => {
    const lifecycle = createClient(
      LifecycleService,
      createConnectTransport({ baseUrl: queryApi.url, httpVersion: "1.1" }),
    );
    const running = async () => (await lifecycle.status({})).counters.queriesRunning ?? 0;
    const caller = new AbortController();
    const call = drain(
      proxied.sql(
        { sql: "SELECT count(*) FROM range(1000000000000) a", timeoutMs: 60_000 },
        { ...asViewer, signal: caller.signal },
      ),
    ).catch((err: unknown) => ConnectError.from(err));
    await waitFor(async () => ((await running()) === 1 ? true : undefined), {
      what: "the query to run at the query API",
      timeoutMs: 10_000,
    });
    caller.abort();
    assert.equal(((await call) as ConnectError).code, Code.Canceled);
    await waitFor(async () => ((await running()) === 0 ? true : undefined), {
      what: "the query API to stop the query",
      timeoutMs: 10_000,
    });
  });

  it("admits callers like AdminService: a viewer key or session, never no key", async () => {
    assert.equal((await failure(() => proxied.listTables({}))).code, Code.Unauthenticated);
    assert.equal(
      (
        await failure(() =>
          proxied.listTables({}, { headers: { authorization: "Bearer not-a-key-0123456789" } }),
        )
      ).code,
      Code.Unauthenticated,
    );
    const login = await fetch(`${adminUrl}/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: VIEWER }),
    });
    const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? assert.fail("a session cookie");
    const { tables } = await proxied.listTables({}, { headers: { cookie } });
    assert.ok(
      tables.some((t) => t.name === table),
      "a UI session calls through too",
    );
  });

  it("says so when the query API refuses the admin's own key", async () => {
    const keyless = createApp(adminConfig({ key: undefined }));
    try {
      const res = await keyless.service.fastify.inject({
        method: "POST",
        url: "/langtian.query.v1.QueryService/ListTables",
        headers: { "content-type": "application/json", authorization: `Bearer ${VIEWER}` },
        payload: "{}",
      });
      const body = res.json<{ code: string; message: string }>();
      assert.equal(body.code, "unauthenticated", "the query API's code");
      assert.match(body.message, /the query API refused the admin's key \(queryApi\.key\)/);
    } finally {
      await keyless.stop();
    }
  });

  it("answers a preflight from an allowed origin with the CORS headers, from another with none", async () => {
    const preflight = (origin: string, path: string) =>
      fetch(`${adminUrl}${path}`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type, connect-protocol-version",
        },
      });
    for (const path of ["/langtian.query.v1.QueryService/ListTables", "/v1/session"]) {
      const allowed = await preflight(UI_ORIGIN, path);
      assert.equal(allowed.status, 204, path);
      assert.equal(allowed.headers.get("access-control-allow-origin"), UI_ORIGIN);
      assert.match(allowed.headers.get("access-control-allow-methods") ?? "", /POST/);
      const headers = (allowed.headers.get("access-control-allow-headers") ?? "").toLowerCase();
      for (const h of ["authorization", "content-type", "connect-protocol-version", "x-grpc-web"])
        assert.ok(headers.includes(h), `${h} in ${headers}`);
      assert.equal(allowed.headers.get("access-control-allow-credentials"), null, "never credentials");
      const other = await preflight("https://evil.example", path);
      assert.equal(other.headers.get("access-control-allow-origin"), null, path);
      assert.equal(other.headers.get("access-control-allow-methods"), null, path);
    }
    const call = await fetch(`${adminUrl}/langtian.query.v1.QueryService/ListTables`, {
      method: "POST",
      headers: { origin: UI_ORIGIN, "content-type": "application/json", authorization: `Bearer ${VIEWER}` },
      body: "{}",
    });
    assert.equal(call.status, 200);
    assert.equal(call.headers.get("access-control-allow-origin"), UI_ORIGIN);
    assert.match(call.headers.get("access-control-expose-headers") ?? "", /grpc-status/i);
  });

  it("answers unavailable once the query API is gone", async () => {
    await queryApi.process.kill();
    const error = await failure(() => proxied.listTables({}, asViewer));
    assert.equal(error.code, Code.Unavailable);
    assert.match(error.rawMessage, /query API at http:\/\/127\.0\.0\.1:\d+ is not reachable/);
    const streamed = await failure(() => drain(proxied.sql({ sql: "SELECT 1" }, asViewer)));
    assert.equal(streamed.code, Code.Unavailable);
  });
});

/** Without a query API in the configuration, every QueryService call says so. */
describe("admin QueryService proxy without a query API", () => {
  let app: AdminApp;

  before(() => {
    const dir = tempDir("admin-no-query-api");
    app = createApp(
      loadAdminConfig(
        {},
        {
          port: 0,
          logLevel: "warn",
          kafka: { topics: [] },
          nats: { streams: [] },
          lake: { catalog: "sqlite", catalogPath: join(dir, "none.sqlite"), dataPath: join(dir, "data") },
        },
      ),
    );
  });
  after(() => app?.stop());

  it("answers unavailable with what to configure", async () => {
    const res = await app.service.fastify.inject({
      method: "POST",
      url: "/langtian.query.v1.QueryService/ListTables",
      headers: { "content-type": "application/json" },
      payload: "{}",
    });
    assert.equal(res.statusCode, 503);
    const body = res.json<{ code: string; message: string }>();
    assert.equal(body.code, "unavailable");
    assert.match(body.message, /queryApi\.url/);
  });
});
