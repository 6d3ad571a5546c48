import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CollectorService, LifecycleService } from "@langtian/proto";
import { probeEdgeWithGarbage } from "@langtian/service-kit/testing";
import { testNatsUrl } from "@langtian/testing";
import { type CollectorApp, createApp } from "../src/app.ts";
import { isolatedConfig, quietLog } from "../src/testing/test-helpers.ts";

const KEY = "edge-test-key-0123456789";

describe("collector RPC edge (real nats-server)", () => {
  let app: CollectorApp;

  before(async () => {
    const config = isolatedConfig(await testNatsUrl(), {
      udp: { listeners: [] },
      ingest: { apiKeys: [`edge:${KEY}:*`] },
    });
    app = createApp(config, { logDestination: quietLog });
    await app.start();
  });

  after(() => app?.stop());

  it("refuses garbage to every RPC with a client-error Connect code, each counted once", async () => {
    // With the key, Ingest reads and parses the garbage: refused for what it is.
    const probes = await probeEdgeWithGarbage(app.service, [CollectorService, LifecycleService], {
      headers: { authorization: `Bearer ${KEY}` },
    });
    assert.equal(probes.length, (CollectorService.methods.length + LifecycleService.methods.length) * 7);
    const ingest = probes.filter((p) => p.procedure === "/langtian.collector.v1.CollectorService/Ingest");
    assert.deepEqual(
      ingest.map((p) => `${p.name}: ${p.code} ${p.reason}`),
      [
        "random bytes: invalid_argument malformed_protobuf",
        "truncated protobuf: invalid_argument malformed_protobuf",
        "bad JSON: invalid_argument malformed_json",
        "unknown JSON field: invalid_argument unknown_field",
        "wrong content type: invalid_argument unsupported_media_type",
        "gRPC-Web random bytes: invalid_argument malformed_protobuf",
        "gRPC truncated protobuf: invalid_argument malformed_protobuf",
      ],
    );
  });

  it("refuses the same garbage without a key as unauthenticated, before reading it", async () => {
    const probes = await probeEdgeWithGarbage(app.service, [CollectorService]);
    assert.deepEqual(
      new Set(probes.filter((p) => p.name !== "wrong content type").map((p) => `${p.code} ${p.reason}`)),
      new Set(["unauthenticated missing_credentials"]),
    );
  });
});
