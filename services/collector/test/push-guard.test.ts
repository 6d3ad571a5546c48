import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { create, toBinary, toJson } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { EnvelopeSchema, IngestRequestSchema } from "@langtian/proto";
import { ConfigError, type ListenAddress } from "@langtian/service-kit";
import { sendUnboundedBody } from "@langtian/service-kit/testing";
import { testNatsUrl } from "@langtian/testing";
import type { NatsConnection } from "@nats-io/transport-node";
import { type CollectorApp, createApp } from "../src/app.ts";
import {
  connectTo,
  isolatedConfig,
  metricValue,
  quietLog,
  streamMessageCount,
  waitForStreamCount,
} from "../src/testing/test-helpers.ts";

const ERP_KEY = "erp-key-0123456789abcdef";
const FLOOD_KEY = "flood-key-0123456789abcdef";
const WRONG_KEY = "not-a-key-0123456789abcdef";
const INGEST = "/langtian.collector.v1.CollectorService/Ingest";
const HUGE_BYTES = 200 * 1024 * 1024;
// Socket buffers and a few chunks in flight: far below HUGE_BYTES.
const STOPPED_READING_BELOW_BYTES = 48 * 1024 * 1024;
const FLOOD_BURST = 20;

type Protocol = "connect" | "grpc" | "grpc-web";

const envelope = (sourceSystem: string) =>
  create(EnvelopeSchema, {
    eventType: "erp.order_created",
    eventTimestamp: timestampNow(),
    schemaVersion: "1.0",
    sourceSystem,
    partitionKey: "order-1",
    payload: new TextEncoder().encode('{"order":1}'),
    payloadType: "application/json",
  });

const ingestBytes = (sourceSystem: string) =>
  toBinary(IngestRequestSchema, create(IngestRequestSchema, { events: [envelope(sourceSystem)] }));

function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/**
 * One Ingest call as raw bytes on the wire, over HTTP/2 (h2c) for all three protocols, so the
 * test sees exactly what a client of each protocol gets: the Connect code name and HTTP status.
 */
async function ingestCall(
  address: ListenAddress,
  protocol: Protocol,
  message: Uint8Array,
  key?: string,
): Promise<{ status: number; code: string }> {
  const session = http2.connect(address.url);
  session.on("error", () => {});
  try {
    const contentType = {
      connect: "application/proto",
      grpc: "application/grpc+proto",
      "grpc-web": "application/grpc-web+proto",
    }[protocol];
    const stream = session.request({
      ":method": "POST",
      ":path": INGEST,
      "content-type": contentType,
      ...(protocol === "grpc" ? { te: "trailers" } : {}),
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
    });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => (headers = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (c: Buffer) => chunks.push(c));
    await new Promise<void>((resolve, reject) => {
      stream.on("end", resolve);
      stream.on("error", reject);
      stream.end(protocol === "connect" ? Buffer.from(message) : grpcFrame(message));
    });
    const body = Buffer.concat(chunks);
    const status = Number(headers[":status"]);
    if (protocol === "connect")
      return { status, code: status === 200 ? "ok" : JSON.parse(body.toString()).code };
    let grpcStatus = headers["grpc-status"] ?? trailers["grpc-status"];
    if (grpcStatus === undefined && protocol === "grpc-web") {
      // The trailer frame (flag 0x80) ends the body.
      for (let at = 0; at + 5 <= body.length; at += 5 + body.readUInt32BE(at + 1)) {
        if ((body[at] ?? 0) & 0x80) {
          grpcStatus = /grpc-status:\s*(\d+)/.exec(body.subarray(at + 5).toString())?.[1];
        }
      }
    }
    const names = [
      "ok",
      "canceled",
      "unknown",
      "invalid_argument",
      "deadline_exceeded",
      "not_found",
      "already_exists",
      "permission_denied",
      "resource_exhausted",
      "failed_precondition",
      "aborted",
      "out_of_range",
      "unimplemented",
      "internal",
      "unavailable",
      "data_loss",
      "unauthenticated",
    ];
    return { status, code: names[Number(grpcStatus)] ?? `grpc-status ${String(grpcStatus)}` };
  } finally {
    session.close();
  }
}

async function postEvents(
  address: ListenAddress,
  body: unknown,
  key?: string,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${address.url}/v1/events`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
    },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

describe("push ingest guard: keys, source systems, body limits, rate limit (real nats-server, real port)", () => {
  let app: CollectorApp;
  let address: ListenAddress;
  let nc: NatsConnection;
  let config: ReturnType<typeof isolatedConfig>;
  const refused = (labels: Record<string, string>) =>
    metricValue(app.service.metrics.registry, "langtian_collector_rpc_requests_refused_total", labels);

  before(async () => {
    const url = await testNatsUrl();
    config = isolatedConfig(url, {
      udp: { listeners: [] },
      ingest: {
        apiKeys: [`erp:${ERP_KEY}:erp-finance|erp-hr`, `flood:${FLOOD_KEY}:*`],
        maxBatchEvents: FLOOD_BURST,
        // One event per 1,000 s: no refill while the test runs, so the burst is all a key has.
        rateLimit: { eventsPerSecond: 0.001, burstEvents: FLOOD_BURST },
      },
    });
    app = createApp(config, { logDestination: quietLog });
    await app.start();
    address = await app.service.listen();
    nc = await connectTo(url);
  });

  after(async () => {
    await app?.stop();
    await nc?.close();
  });

  it("refuses to start beyond loopback without keys, before connecting to anything", async () => {
    assert.throws(
      () =>
        createApp(
          { ...config, host: "0.0.0.0", ingest: { ...config.ingest, apiKeys: [] } },
          { logDestination: quietLog },
        ),
      (err: unknown) => err instanceof ConfigError && err.issues.some((i) => i.path === "ingest.apiKeys"),
    );
  });

  it("answers unauthenticated without a key or with a wrong one and permission_denied for a source_system the key may not use, over every protocol, counted by reason", async () => {
    const results: string[] = [];
    for (const protocol of ["connect", "grpc", "grpc-web"] as const) {
      const none = await ingestCall(address, protocol, ingestBytes("erp-finance"));
      const wrong = await ingestCall(address, protocol, ingestBytes("erp-finance"), WRONG_KEY);
      const otherSource = await ingestCall(address, protocol, ingestBytes("payroll-system"), ERP_KEY);
      const good = await ingestCall(address, protocol, ingestBytes("erp-hr"), ERP_KEY);
      results.push(`${protocol}: ${none.code} ${wrong.code} ${otherSource.code} ${good.code}`);
      if (protocol === "connect")
        assert.deepEqual([none.status, wrong.status, otherSource.status], [401, 401, 403]);
    }
    assert.deepEqual(results, [
      "connect: unauthenticated unauthenticated permission_denied ok",
      "grpc: unauthenticated unauthenticated permission_denied ok",
      "grpc-web: unauthenticated unauthenticated permission_denied ok",
    ]);
    const json = toJson(EnvelopeSchema, envelope("erp-finance"));
    const none = await postEvents(address, { events: [json] });
    assert.equal(none.status, 401);
    assert.equal(none.body.code, "unauthenticated");
    assert.match(String(none.headers.get("www-authenticate")), /^Bearer/);
    assert.equal((await postEvents(address, { events: [json] }, WRONG_KEY)).body.code, "unauthenticated");
    const payroll = await postEvents(
      address,
      { events: [toJson(EnvelopeSchema, envelope("payroll-system"))] },
      ERP_KEY,
    );
    assert.equal(payroll.status, 403);
    assert.equal(payroll.body.code, "permission_denied");
    assert.match(String(payroll.body.message), /may not push source_system "payroll-system"/);
    const good = await postEvents(address, { events: [json] }, ERP_KEY);
    assert.equal(good.status, 200);
    assert.equal(good.body.acceptedCount, 1);

    assert.equal(
      await refused({ procedure: INGEST, code: "unauthenticated", reason: "missing_credentials" }),
      3,
    );
    assert.equal(
      await refused({ procedure: INGEST, code: "unauthenticated", reason: "invalid_credentials" }),
      3,
    );
    assert.equal(
      await refused({ procedure: INGEST, code: "permission_denied", reason: "source_not_allowed" }),
      3,
    );
    assert.equal(await refused({ procedure: "/v1/events", reason: "missing_credentials" }), 1);
    assert.equal(await refused({ procedure: "/v1/events", reason: "invalid_credentials" }), 1);
    assert.equal(await refused({ procedure: "/v1/events", reason: "source_not_allowed" }), 1);
    const byKey = (labels: Record<string, string>) =>
      metricValue(app.service.metrics.registry, "langtian_collector_ingest_refused_total", labels);
    assert.equal(await byKey({ key: "erp", reason: "source_not_allowed" }), 4);
    assert.equal(await byKey({ key: "unknown" }), 8);
    // Only the four good pushes reached the stream.
    await waitForStreamCount(nc, config.stream.name, 4);
    assert.equal(await streamMessageCount(nc, config.stream.name), 4);
  });

  it("refuses malformed protobuf with invalid_argument and unknown JSON fields on both endpoints", async () => {
    for (const protocol of ["connect", "grpc", "grpc-web"] as const) {
      const garbage = await ingestCall(
        address,
        protocol,
        Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01),
        ERP_KEY,
      );
      assert.equal(garbage.code, "invalid_argument", protocol);
    }
    const connectJson = await fetch(`${address.url}${INGEST}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ERP_KEY}` },
      body: '{"evnts": []}',
    });
    assert.equal(connectJson.status, 400);
    const connectBody = (await connectJson.json()) as { code: string; message: string };
    assert.equal(connectBody.code, "invalid_argument");
    assert.match(connectBody.message, /key "evnts" is unknown/);
    const plain = await postEvents(address, { evnts: [] }, ERP_KEY);
    assert.equal(plain.status, 400);
    assert.deepEqual(plain.body, {
      code: "invalid_argument",
      message: 'unknown field "evnts": the body is {"events": [...]}',
    });
    assert.equal(await refused({ procedure: INGEST, reason: "malformed_protobuf" }), 3);
    assert.equal(await refused({ procedure: INGEST, reason: "unknown_field" }), 1);
    assert.equal(await refused({ procedure: "/v1/events", reason: "unknown_field" }), 1);
  });

  it("stops reading a 200 MB body at ingest.maxRequestBytes on both endpoints, HTTP/1.1 and HTTP/2", async () => {
    const rssBefore = process.memoryUsage().rss;
    for (const http2 of [false, true]) {
      for (const [path, contentType, status] of [
        [INGEST, "application/proto", 429],
        ["/v1/events", "application/json", 413],
      ] as const) {
        const result = await sendUnboundedBody({
          url: address.url,
          path,
          headers: { "content-type": contentType, authorization: `Bearer ${ERP_KEY}` },
          totalBytes: HUGE_BYTES,
          http2,
        });
        const what = `${path} over ${http2 ? "HTTP/2" : "HTTP/1.1"}`;
        assert.equal(result.gaveUp, false, `${what}: no answer and no close`);
        assert.equal(result.status, status, `${what}: ${result.body}`);
        assert.equal(JSON.parse(result.body).code, "resource_exhausted", what);
        assert.ok(result.sentBytes < STOPPED_READING_BELOW_BYTES, `${what}: ${result.sentBytes} bytes sent`);
      }
    }
    assert.equal(await refused({ procedure: INGEST, code: "resource_exhausted", reason: "too_large" }), 2);
    assert.equal(
      await refused({ procedure: "/v1/events", code: "resource_exhausted", reason: "too_large" }),
      2,
    );
    // Four 200 MB uploads were offered; none was held in memory.
    const grownBytes = process.memoryUsage().rss - rssBefore;
    assert.ok(grownBytes < 100 * 1024 * 1024, `RSS grew by ${grownBytes} bytes`);
  });

  it("limits each key to its rate: a flood of concurrent pushes gets resource_exhausted beyond the burst, counted, and other keys go on", async () => {
    const pushes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 2 === 0
          ? ingestCall(address, "connect", ingestBytes("flood-site"), FLOOD_KEY)
          : postEvents(address, { events: [toJson(EnvelopeSchema, envelope("flood-site"))] }, FLOOD_KEY).then(
              (r) => ({
                status: r.status,
                code: r.status === 200 ? "ok" : String(r.body.code),
              }),
            ),
      ),
    );
    const ok = pushes.filter((p) => p.code === "ok").length;
    const limited = pushes.filter((p) => p.code === "resource_exhausted");
    assert.equal(ok, FLOOD_BURST);
    assert.equal(limited.length, 60 - FLOOD_BURST);
    assert.ok(limited.every((p) => p.status === 429));
    const rateLimited = await refused({ code: "resource_exhausted", reason: "rate_limited" });
    assert.equal(rateLimited, 60 - FLOOD_BURST);
    const retry = await postEvents(address, { events: [toJson(EnvelopeSchema, envelope("x"))] }, FLOOD_KEY);
    assert.equal(retry.status, 429);
    assert.ok(Number(retry.headers.get("retry-after")) >= 1);
    // The erp key has its own bucket.
    assert.equal((await ingestCall(address, "connect", ingestBytes("erp-finance"), ERP_KEY)).code, "ok");
  });
});
