import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { LifecycleService, Phase } from "@langtian/proto";
import { loadConfig } from "./config.ts";
import { defineConfigSchema } from "./config-schema.ts";
import { DrainOrder } from "./lifecycle.ts";
import type { ListenAddress, ServiceApp } from "./service-app.ts";
import { createServiceApp } from "./service-app.ts";
import { serviceFields } from "./service-config.ts";

const TOKEN = "interop-operator-token-0123456789";
const protoRoot = join(dirname(fileURLToPath(import.meta.url)), "../../../proto");

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;
interface GrpcLifecycleClient extends grpc.Client {
  Health(req: object, cb: Callback<Record<string, unknown>>): void;
  Drain(req: object, md: grpc.Metadata, cb: Callback<Record<string, unknown>>): void;
}

function grpcClient(address: ListenAddress): GrpcLifecycleClient {
  const definition = protoLoader.loadSync("langtian/lifecycle/v1/lifecycle.proto", {
    includeDirs: [protoRoot],
    keepCase: true,
    enums: String,
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    langtian: {
      lifecycle: {
        v1: { LifecycleService: new (a: string, c: grpc.ChannelCredentials) => GrpcLifecycleClient };
      };
    };
  };
  const Ctor = loaded.langtian.lifecycle.v1.LifecycleService;
  return new Ctor(`${address.host}:${address.port}`, grpc.credentials.createInsecure());
}

function call<T>(fn: (cb: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res as T))));
}

function get1(url: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body, type: String(res.headers["content-type"]) }),
        );
      })
      .on("error", reject);
  });
}

async function get2(base: string, path: string): Promise<{ status: number; body: string; version: string }> {
  const session = http2.connect(base);
  try {
    return await new Promise((resolve, reject) => {
      session.on("error", reject);
      const req = session.request({ ":path": path });
      let status = 0;
      let body = "";
      req.setEncoding("utf8");
      req.on("response", (h) => (status = Number(h[":status"])));
      req.on("data", (c: string) => (body += c));
      req.on("end", () => resolve({ status, body, version: "2" }));
      req.on("error", reject);
      req.end();
    });
  } finally {
    session.close();
  }
}

describe("service-kit interop on a real port", () => {
  const schema = defineConfigSchema("interop", serviceFields({ port: 0 }));
  let app: ServiceApp;
  let address: ListenAddress;
  let client: GrpcLifecycleClient;
  let flushed = false;

  before(async () => {
    const config = loadConfig(schema, {
      LANGTIAN_INTEROP_OPERATOR_TOKEN: TOKEN,
      LANGTIAN_INTEROP_LOG_LEVEL: "silent",
      LANGTIAN_INTEROP_INSTANCE_ID: "interop-1",
    });
    app = createServiceApp({ schema, config, version: "9.9.9" });
    app.health.add({ name: "nats", check: () => ({ healthy: true, detail: "connected" }) });
    app.health.add({ name: "s3", required: false, check: () => ({ healthy: false, detail: "unreachable" }) });
    app.lifecycle.addCounters(() => ({ published: 42 }));
    app.lifecycle.onDrain({
      name: "flush",
      order: DrainOrder.flush,
      run: () => {
        flushed = true;
      },
    });
    address = await app.listen();
    client = grpcClient(address);
  });

  after(async () => {
    client?.close();
    await app?.close({ graceMs: 1000 });
  });

  it("binds a free port on 127.0.0.1 and reports it", () => {
    assert.equal(address.host, "127.0.0.1");
    assert.ok(address.port > 0);
    assert.equal(address.url, `http://127.0.0.1:${address.port}`);
  });

  it("answers Health to a stock gRPC client over cleartext HTTP/2", async () => {
    const res = await call<Record<string, unknown>>((cb) => client.Health({}, cb));
    assert.equal(res.service, "interop");
    assert.equal(res.instance_id, "interop-1");
    assert.equal(res.version, "9.9.9");
    assert.equal(res.live, true);
    assert.equal(res.ready, true, "an unhealthy optional dependency does not block readiness");
    assert.equal(res.phase, "PHASE_RUNNING");
    assert.deepEqual(res.dependencies, [
      { name: "nats", healthy: true, detail: "connected" },
      { name: "s3", healthy: false, detail: "unreachable" },
    ]);
  });

  it("answers Status with stage counters to a Connect client over HTTP/1.1", async () => {
    const connect = createClient(
      LifecycleService,
      createConnectTransport({ baseUrl: address.url, httpVersion: "1.1" }),
    );
    const res = await connect.status({});
    assert.equal(res.service, "interop");
    assert.equal(res.phase, Phase.RUNNING);
    assert.deepEqual(res.counters, { published: 42 });
    assert.ok(res.startedAt !== undefined && res.startedAt.seconds > 0n);
  });

  it("answers Health to a gRPC-Web client over HTTP/1.1", async () => {
    const web = createClient(
      LifecycleService,
      createGrpcWebTransport({ baseUrl: address.url, httpVersion: "1.1" }),
    );
    const res = await web.health({});
    assert.equal(res.ready, true);
  });

  it("serves /healthz, /readyz and /metrics over HTTP/1.1", async () => {
    const healthz = await get1(`${address.url}/healthz`);
    assert.equal(healthz.status, 200);
    assert.equal(JSON.parse(healthz.body).live, true);
    const readyz = await get1(`${address.url}/readyz`);
    assert.equal(readyz.status, 200);
    const report = JSON.parse(readyz.body);
    assert.equal(report.ready, true);
    assert.deepEqual(
      report.dependencies.map((d: { name: string; healthy: boolean }) => [d.name, d.healthy]),
      [
        ["nats", true],
        ["s3", false],
      ],
    );
    const metrics = await get1(`${address.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.type, /^text\/plain/);
    assert.match(
      metrics.body,
      /langtian_process_cpu_seconds_total\{service="interop",instance_id="interop-1"\}/,
    );
    assert.match(
      metrics.body,
      /langtian_interop_rpc_requests_total\{method="langtian.lifecycle.v1.LifecycleService\/Health",code="ok"/,
    );
  });

  it("serves /healthz, /readyz and /metrics over HTTP/2 with prior knowledge", async () => {
    const healthz = await get2(address.url, "/healthz");
    assert.equal(healthz.status, 200);
    assert.equal(JSON.parse(healthz.body).instanceId, "interop-1");
    const readyz = await get2(address.url, "/readyz");
    assert.equal(readyz.status, 200);
    const metrics = await get2(address.url, "/metrics");
    assert.match(
      metrics.body,
      /langtian_interop_lifecycle_phase\{phase="running",service="interop",instance_id="interop-1"\} 1/,
    );
  });

  it("answers a malformed HTTP/1.1 request with 400 and keeps serving", async () => {
    const socket = net.connect(address.port, address.host);
    const reply = await new Promise<string>((resolve, reject) => {
      let text = "";
      socket.on("data", (c: Buffer) => {
        text += c.toString("latin1");
      });
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
      socket.write("NOT HTTP AT ALL\r\n\r\n");
    });
    assert.match(reply, /^HTTP\/1\.1 400 Bad Request/);
    assert.equal((await get1(`${address.url}/healthz`)).status, 200);
  });

  it("refuses Drain from a gRPC client without the operator token (UNAUTHENTICATED)", async () => {
    await assert.rejects(
      call((cb) => client.Drain({}, new grpc.Metadata(), cb)),
      (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED,
    );
    const md = new grpc.Metadata();
    md.set("authorization", "Bearer not-the-operator-token");
    await assert.rejects(
      call((cb) => client.Drain({}, md, cb)),
      (err: grpc.ServiceError) => err.code === grpc.status.PERMISSION_DENIED,
    );
    assert.equal(app.lifecycle.phase, "running");
  });

  it("drains on a gRPC Drain with the operator token, then /readyz says 503", async () => {
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${TOKEN}`);
    const res = await call<Record<string, unknown>>((cb) => client.Drain({ deadline_ms: 5000 }, md, cb));
    assert.deepEqual(res, { phase: "PHASE_DRAINED", deadline_exceeded: false });
    assert.equal(flushed, true);
    const again = await call<Record<string, unknown>>((cb) => client.Drain({}, md, cb));
    assert.equal(again.phase, "PHASE_DRAINED", "a second drain is fine");
    const readyz = await get1(`${address.url}/readyz`);
    assert.equal(readyz.status, 503);
    assert.equal(JSON.parse(readyz.body).phase, "drained");
  });
});
