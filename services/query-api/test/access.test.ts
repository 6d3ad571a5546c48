import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { LifecycleService, QueryService } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { createApp, type QueryApiApp, UnprotectedQueryApiError } from "../src/app.ts";
import { startWrittenLake, type WrittenLake } from "../src/testing/index.ts";

const EVENTS = 100;
const READER = "alice-secret-0123456789";
const OPERATOR = "ops-secret-0123456789abcd";
const LIMITED = "burst-secret-0123456789ab";
const BURST = 5;
const PROCEDURE = "/langtian.query.v1.QueryService";

/** An interceptor sending `Authorization: Bearer <secret>`. */
const bearer =
  (secret: string): Interceptor =>
  (next) =>
  (req) => {
    req.header.set("authorization", `Bearer ${secret}`);
    return next(req);
  };

/** The code and headers of a refused call (fails the test when the call succeeds). */
async function refusal(call: () => Promise<unknown>): Promise<ConnectError> {
  try {
    await call();
  } catch (err) {
    return ConnectError.from(err);
  }
  assert.fail("the call was admitted");
}

/**
 * The query API with API keys from its configuration (`name:secret:role`) and a per-key rate
 * limit, on a lake the real lake writer wrote: who is admitted, how refusals answer (over
 * Connect and plain HTTP), what stays open, and what the refusals count.
 */
describe("query API access (API keys, roles, rate limits)", () => {
  let lake: WrittenLake;
  let app: QueryApiApp;
  let url: string;
  const client = (...interceptors: Interceptor[]): Client<typeof QueryService> =>
    createClient(QueryService, createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors }));
  const metrics = async () => (await fetch(`${url}/metrics`)).text();
  const refused = async () =>
    Object.fromEntries(
      [
        ...(await metrics()).matchAll(
          /^langtian_query_api_query_refused_total\{key="([^"]+)",reason="([a-z_]+)"[^}]*\} (\d+)/gm,
        ),
      ].map((m) => [`${m[1]}/${m[2]}`, Number(m[3])]),
    );

  before(async () => {
    await provisionDuckdbExtensions();
    lake = await startWrittenLake(EVENTS);
    app = createApp(
      lake.queryApiConfig({
        access: {
          apiKeys: [`alice:${READER}:reader`, `ops:${OPERATOR}:operator`, `burst:${LIMITED}:reader`],
          requestsPerSecond: 1,
          burst: BURST,
        },
      }),
    );
    await app.start();
    ({ url } = await app.service.listen());
  });
  after(async () => {
    await app?.stop();
    await lake?.stop();
  });

  it("admits a configured key of either role", async () => {
    for (const secret of [READER, OPERATOR]) {
      const { tables } = await client(bearer(secret)).listTables({});
      assert.deepEqual(
        tables.filter((t) => t.eventTable).map((t) => t.rows),
        [BigInt(EVENTS)],
      );
    }
  });

  it("refuses a call without a key as unauthenticated, asking for a bearer token", async () => {
    const err = await refusal(() => client().listTables({}));
    assert.equal(err.code, Code.Unauthenticated);
    assert.equal(err.metadata.get("www-authenticate"), "Bearer");
    // The same over plain HTTP, the way curl sees it.
    const res = await fetch(`${url}${PROCEDURE}/ListTables`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("www-authenticate"), "Bearer");
    assert.equal(((await res.json()) as { code: string }).code, "unauthenticated");
  });

  it("refuses a wrong key or a malformed header as unauthenticated, whatever the RPC", async () => {
    const wrong = client(bearer("not-a-key-of-ours-0123456789"));
    assert.equal((await refusal(() => wrong.listTables({}))).code, Code.Unauthenticated);
    assert.equal((await refusal(() => wrong.getEvent({ eventId: "x" }))).code, Code.Unauthenticated);
    assert.equal(
      (
        await refusal(async () => {
          for await (const _ of wrong.sql({ sql: "SELECT 1" })) {
            // drained
          }
        })
      ).code,
      Code.Unauthenticated,
    );
    const res = await fetch(`${url}${PROCEDURE}/ListTables`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${btoa(`alice:${READER}`)}` },
      body: "{}",
    });
    assert.equal(res.status, 401);
  });

  it("answers a key over its rate with resource_exhausted and retry-after", async () => {
    const limited = client(bearer(LIMITED));
    // The bucket refills at 1 call/s while the calls run, and a loaded machine makes them slow:
    // call until refused, then check the count against the burst plus what time refilled.
    const started = performance.now();
    let admitted = 0;
    let err: ConnectError | undefined;
    while (err === undefined && admitted <= BURST + 60) {
      try {
        await limited.listSnapshots({ limit: 1 });
        admitted++;
      } catch (e) {
        err = ConnectError.from(e);
      }
    }
    const refilled = Math.floor((performance.now() - started) / 1000);
    assert.ok(err, `still admitted after ${admitted} calls`);
    assert.equal(err.code, Code.ResourceExhausted);
    assert.equal(err.metadata.get("retry-after"), "1");
    assert.ok(
      admitted >= BURST && admitted <= BURST + refilled,
      `${admitted} admitted: the burst of ${BURST} and at most ${refilled} refilled`,
    );
    // The same over plain HTTP (a token may have come back since: then one more is admitted).
    const plain = () =>
      fetch(`${url}${PROCEDURE}/ListTables`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${LIMITED}` },
        body: "{}",
      });
    let res = await plain();
    if (res.status === 200) res = await plain();
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "1");
    // Another key has a bucket of its own.
    await client(bearer(READER)).listSnapshots({ limit: 1 });
  });

  it("keeps health, readiness, metrics and the lifecycle service open without a key", async () => {
    const healthz = await fetch(`${url}/healthz`);
    assert.equal(healthz.status, 200);
    const readyz = await fetch(`${url}/readyz`);
    assert.equal(readyz.status, 200);
    const report = (await readyz.json()) as { dependencies: { name: string; healthy: boolean }[] };
    assert.deepEqual(
      report.dependencies.map((d) => [d.name, d.healthy]),
      [["lake", true]],
    );
    assert.equal((await fetch(`${url}/metrics`)).status, 200);
    const lifecycle = createClient(
      LifecycleService,
      createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
    );
    assert.equal((await lifecycle.health({})).ready, true);
  });

  it("counts every refusal by key and reason", async () => {
    assert.deepEqual(await refused(), {
      "unknown/missing_credentials": 3,
      "unknown/invalid_credentials": 3,
      "burst/rate_limited": 2,
    });
  });

  it("refuses to be built for a non-loopback host without keys, and is built with them", async () => {
    assert.throws(
      () => createApp(lake.queryApiConfig({ host: "0.0.0.0" })),
      (err: unknown) => err instanceof UnprotectedQueryApiError && /access\.apiKeys/.test(err.message),
    );
    const guarded = createApp(
      lake.queryApiConfig({ host: "0.0.0.0", access: { apiKeys: [`alice:${READER}:reader`] } }),
    );
    await guarded.service.close();
  });
});
