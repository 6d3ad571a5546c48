import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type * as grpc from "@grpc/grpc-js";
import { AdminService } from "@langtian/proto";
import {
  type GrpcCallback,
  grpcClient,
  grpcUnary,
  tempDir,
  testNatsUrl,
  uniqueName,
} from "@langtian/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type AdminApp, createApp } from "../src/app.ts";
import { loadAdminConfig } from "../src/config.ts";

interface GrpcAdminClient extends grpc.Client {
  GetOverview(
    req: object,
    cb: GrpcCallback<{ overview: { streams: { name: string; messages: string }[] } }>,
  ): void;
  ListAudit(req: object, cb: GrpcCallback<{ entries: unknown[] }>): void;
}

/** The same AdminService calls over Connect (binary, JSON), gRPC (stock grpc-js), gRPC-Web and plain HTTP GET. */
describe("admin protocols", () => {
  let app: AdminApp;
  let url: string;
  let stream: string;

  before(async () => {
    const natsUrl = await testNatsUrl();
    stream = uniqueName("PROTO").toUpperCase();
    const nc = await connect({ servers: natsUrl });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], max_bytes: 8 * 1024 * 1024 });
    await nc.publish(`${stream}.x`, "one");
    await nc.flush();
    await nc.close();
    const dir = tempDir("admin-protocols");
    app = createApp(
      loadAdminConfig(
        {},
        {
          port: 0,
          logLevel: "warn",
          nats: { url: natsUrl, streams: [stream] },
          kafka: { topics: [] },
          audit: { stream: uniqueName("AUDIT").toUpperCase() },
          lake: { catalog: "sqlite", catalogPath: join(dir, "none.sqlite"), dataPath: join(dir, "data") },
        },
      ),
    );
    await app.start();
    url = (await app.service.listen()).url;
  });
  after(() => app?.stop());

  const messagesOf = (streams: readonly { name: string; messages: bigint | string }[] | undefined) =>
    String(streams?.find((s) => s.name === stream)?.messages);

  it("answers Connect binary and JSON, gRPC-Web and the stock grpc-js client alike", async () => {
    const seen: string[] = [];
    for (const transport of [
      createConnectTransport({ baseUrl: url, httpVersion: "2" }),
      createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: false }),
      createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" }),
    ]) {
      const { overview } = await createClient(AdminService, transport).getOverview({});
      seen.push(messagesOf(overview?.streams));
    }
    const grpcAdmin = grpcClient<GrpcAdminClient>(
      "langtian/admin/v1/admin.proto",
      "langtian.admin.v1.AdminService",
      url,
    );
    try {
      const viaGrpc = await grpcUnary<{ overview: { streams: { name: string; messages: string }[] } }>((cb) =>
        grpcAdmin.GetOverview({}, cb),
      );
      seen.push(messagesOf(viaGrpc.overview.streams));
    } finally {
      grpcAdmin.close();
    }
    assert.deepEqual(seen, ["1", "1", "1", "1"]);
  });

  it("answers plain HTTP: Connect GET for reads, JSON POST", async () => {
    const get = await fetch(
      `${url}/langtian.admin.v1.AdminService/GetOverview?connect=v1&encoding=json&message=${encodeURIComponent("{}")}`,
    );
    assert.equal(get.status, 200);
    const body = (await get.json()) as { overview: { streams: { name: string; messages: string }[] } };
    assert.equal(messagesOf(body.overview.streams), "1");
    const post = await fetch(`${url}/langtian.admin.v1.AdminService/ListAudit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(post.status, 200);
    const bad = await fetch(`${url}/langtian.admin.v1.AdminService/GetOverview`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    assert.equal(((await bad.json()) as { code: string }).code, "invalid_argument");
  });
});
