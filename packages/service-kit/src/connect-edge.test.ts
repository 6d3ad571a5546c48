import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { create, createFileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, file_google_protobuf_empty } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { CollectorService, LifecycleService } from "@langtian/proto";
import { loadConfig } from "./config.ts";
import { defineConfigSchema } from "./config-schema.ts";
import { RefusedError } from "./errors.ts";
import type { ListenAddress, ServiceApp } from "./service-app.ts";
import { createServiceApp } from "./service-app.ts";
import { serviceFields } from "./service-config.ts";
import { probeEdgeWithGarbage, sendUnboundedBody } from "./testing/index.ts";

const schema = defineConfigSchema("edge", serviceFields({ port: 0 }));
const HUGE_BYTES = 200 * 1024 * 1024;
// What the kernel's socket buffers and a few in-flight chunks can hold: far below HUGE_BYTES.
const STOPPED_READING_BELOW_BYTES = 48 * 1024 * 1024;
const HEALTH = "/langtian.lifecycle.v1.LifecycleService/Health";

async function refused(app: ServiceApp, labels: Record<string, string>): Promise<number> {
  const metric = app.metrics.registry.getSingleMetric("langtian_edge_rpc_requests_refused_total");
  assert.ok(metric);
  return (await metric.get()).values
    .filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))
    .reduce((sum, v) => sum + v.value, 0);
}

describe("the Connect/HTTP edge (real port)", () => {
  let app: ServiceApp;
  let address: ListenAddress;

  before(async () => {
    app = createServiceApp({
      schema,
      config: loadConfig(schema, { LANGTIAN_EDGE_LOG_LEVEL: "silent" }),
      version: "1",
    });
    app.fastify.post("/v1/things", { bodyLimit: 64 * 1024 }, async (request) => {
      const body = request.body as { fail?: string } | null;
      if (body?.fail === "slow down") {
        throw new RefusedError(Code.ResourceExhausted, "rate_limited", "slow down", {
          httpStatus: 429,
          metadata: { "retry-after": "2" },
        });
      }
      return { ok: true };
    });
    address = await app.listen();
  });

  after(() => app?.close());

  it("refuses garbage to every Lifecycle RPC with a client-error code, each counted once", async () => {
    const probes = await probeEdgeWithGarbage(app, [LifecycleService]);
    assert.equal(probes.length, 3 * 7);
    const byCase = new Map(probes.filter((p) => p.procedure === HEALTH).map((p) => [p.name, p]));
    assert.deepEqual(
      [...byCase.values()].map((p) => [p.name, p.status, p.code, p.reason]),
      [
        ["random bytes", 400, "invalid_argument", "malformed_protobuf"],
        ["truncated protobuf", 400, "invalid_argument", "malformed_protobuf"],
        ["bad JSON", 400, "invalid_argument", "malformed_json"],
        ["unknown JSON field", 400, "invalid_argument", "unknown_field"],
        ["wrong content type", 415, "invalid_argument", "unsupported_media_type"],
        ["gRPC-Web random bytes", 200, "invalid_argument", "malformed_protobuf"],
        ["gRPC truncated protobuf", 200, "invalid_argument", "malformed_protobuf"],
      ],
    );
  });

  it("names the unknown field in the message", async () => {
    const response = await app.fastify.inject({
      method: "POST",
      url: HEALTH,
      headers: { "content-type": "application/json" },
      payload: '{"evnts": []}',
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, "invalid_argument");
    assert.match(response.json().message, /key "evnts" is unknown/);
  });

  for (const variant of [
    { name: "HTTP/1.1 without a length", http2: false, declareLength: false },
    { name: "HTTP/1.1 declaring its length", http2: false, declareLength: true },
    { name: "HTTP/2 without a length", http2: true, declareLength: false },
  ]) {
    it(`stops reading a 200 MB Connect body at the limit (${variant.name}) and answers resource_exhausted`, async () => {
      const before = await refused(app, { procedure: HEALTH, reason: "too_large" });
      const result = await sendUnboundedBody({
        url: address.url,
        path: HEALTH,
        headers: { "content-type": "application/proto" },
        totalBytes: HUGE_BYTES,
        http2: variant.http2,
        declareLength: variant.declareLength,
      });
      assert.equal(result.gaveUp, false, "the server neither answered nor closed");
      assert.equal(result.status, 429, result.body);
      assert.equal(JSON.parse(result.body).code, "resource_exhausted");
      assert.equal(result.sentAll, false, "the server read the whole body");
      assert.ok(
        result.sentBytes < STOPPED_READING_BELOW_BYTES,
        `the client sent ${result.sentBytes} bytes before the server stopped it`,
      );
      assert.equal(await refused(app, { procedure: HEALTH, reason: "too_large" }), before + 1);
    });
  }

  it("stops reading a 200 MB body to a plain HTTP route at its bodyLimit with 413 resource_exhausted", async () => {
    for (const http2 of [false, true]) {
      const result = await sendUnboundedBody({
        url: address.url,
        path: "/v1/things",
        headers: { "content-type": "application/json" },
        totalBytes: HUGE_BYTES,
        http2,
      });
      assert.equal(result.gaveUp, false);
      assert.equal(result.status, 413, result.body);
      assert.deepEqual(JSON.parse(result.body), {
        code: "resource_exhausted",
        message: "Request body is too large",
      });
      assert.ok(result.sentBytes < STOPPED_READING_BELOW_BYTES, `${result.sentBytes} bytes sent`);
    }
    assert.equal(await refused(app, { procedure: "/v1/things", reason: "too_large" }), 2);
  });

  it("answers Fastify's own errors, handler refusals and unknown routes with a Connect code, counted", async () => {
    const badJson = await app.fastify.inject({
      method: "POST",
      url: "/v1/things",
      headers: { "content-type": "application/json" },
      payload: "{nope",
    });
    assert.equal(badJson.statusCode, 400);
    assert.equal(badJson.json().code, "invalid_argument");
    const wrongType = await app.fastify.inject({
      method: "POST",
      url: "/v1/things",
      headers: { "content-type": "application/x-unknown" },
      payload: "x",
    });
    assert.equal(wrongType.statusCode, 415);
    assert.equal(wrongType.json().code, "invalid_argument");
    const limited = await app.fastify.inject({
      method: "POST",
      url: "/v1/things",
      payload: { fail: "slow down" },
    });
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.headers["retry-after"], "2");
    assert.deepEqual(limited.json(), { code: "resource_exhausted", message: "slow down" });
    const missing = await app.fastify.inject({ method: "GET", url: "/nothing/here?x=1" });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { code: "unimplemented", message: "no route GET /nothing/here" });

    assert.equal(await refused(app, { procedure: "/v1/things", reason: "malformed_json" }), 1);
    assert.equal(await refused(app, { procedure: "/v1/things", reason: "unsupported_media_type" }), 1);
    assert.equal(
      await refused(app, { procedure: "/v1/things", code: "resource_exhausted", reason: "rate_limited" }),
      1,
    );
    assert.equal(await refused(app, { procedure: "unknown", code: "unimplemented", reason: "not_found" }), 1);
    // Good requests still pass and are not counted.
    const ok = await app.fastify.inject({ method: "POST", url: "/v1/things", payload: {} });
    assert.equal(ok.statusCode, 200);
    const health = await app.fastify.inject({
      method: "POST",
      url: HEALTH,
      headers: { "content-type": "application/json" },
      payload: "{}",
    });
    assert.equal(health.statusCode, 200, health.body);
  });
});

/** An app serving `routes` whose error log lines the test reads. */
function appLoggingErrors(routes: (router: ConnectRouter) => void): { app: ServiceApp; lines: string[] } {
  const lines: string[] = [];
  const app = createServiceApp({
    schema,
    config: loadConfig(schema, { LANGTIAN_EDGE_LOG_LEVEL: "error" }),
    version: "1",
    logDestination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
    routes,
  });
  return { app, lines };
}

describe("the Connect edge with a failing handler (in memory)", () => {
  it("answers a handler's own failure with a Connect code, logs it and does not count it as a refusal", async (t) => {
    const { app, lines } = appLoggingErrors((router) =>
      router.service(CollectorService, {
        ingest() {
          throw new Error("boom");
        },
      }),
    );
    t.after(() => app.close());
    const response = await app.fastify.inject({
      method: "POST",
      url: "/langtian.collector.v1.CollectorService/Ingest",
      headers: { "content-type": "application/json" },
      payload: "{}",
    });
    assert.equal(response.statusCode, 500);
    // The client learns the code, not the server's own message (it can name paths or hosts).
    assert.deepEqual(response.json(), { code: "internal", message: "internal error" });
    assert.equal(await refused(app, {}), 0);
    assert.ok(
      lines.some(
        (l) =>
          l.includes('"msg":"RPC failed"') && l.includes("CollectorService/Ingest") && l.includes("boom"),
      ),
      lines.join(""),
    );
  });

  it("maps, logs and counts an error a server stream raises after its first message", async (t) => {
    // A server-streaming service made for the test (no contract streams yet).
    const file = create(FileDescriptorProtoSchema, {
      name: "test/ticks.proto",
      package: "test.v1",
      dependency: ["google/protobuf/empty.proto"],
      syntax: "proto3",
      service: [
        {
          name: "TickService",
          method: [
            {
              name: "Ticks",
              inputType: ".google.protobuf.Empty",
              outputType: ".google.protobuf.Empty",
              serverStreaming: true,
            },
          ],
        },
      ],
    });
    const registry = createFileRegistry(file, (name) =>
      name === "google/protobuf/empty.proto" ? file_google_protobuf_empty : undefined,
    );
    const TickService = registry.getService("test.v1.TickService");
    assert.ok(TickService);
    const { app, lines } = appLoggingErrors((router) =>
      // A service built at run time has no generated handler types.
      router.service(TickService, {
        async *ticks() {
          yield {};
          throw new Error("stream boom");
        },
      } as never),
    );
    t.after(() => app.close());
    const address = await app.listen();
    const client = createClient(
      TickService,
      createConnectTransport({ baseUrl: address.url, httpVersion: "1.1" }),
    ) as unknown as { ticks(request: object): AsyncIterable<unknown> };
    let received = 0;
    const failure = await (async () => {
      try {
        for await (const _ of client.ticks({})) received++;
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    assert.equal(received, 1);
    assert.ok(failure instanceof ConnectError, String(failure));
    assert.equal(failure.code, Code.Internal);
    assert.equal(failure.rawMessage, "internal error");
    const requests = app.metrics.registry.getSingleMetric("langtian_edge_rpc_requests_total");
    assert.ok(requests);
    const codes = (await requests.get()).values.map((v) => `${v.labels.code}=${v.value}`);
    assert.deepEqual(codes, ["internal=1"]);
    assert.ok(
      lines.some((l) => l.includes('"msg":"RPC failed"') && l.includes("stream boom")),
      lines.join(""),
    );
  });
});
