import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { BridgeService, LifecycleService } from "@langtian/proto";
import { probeEdgeWithGarbage } from "@langtian/service-kit/testing";
import { createApp } from "../src/app.ts";
import { loadBridgeConfig } from "../src/config.ts";

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

describe("bridge RPC edge", () => {
  it("refuses garbage to every RPC with a client-error Connect code, each counted once", async (t) => {
    // createApp connects to nothing until start(): the edge is tested without NATS or Kafka.
    const app = createApp(loadBridgeConfig({ LANGTIAN_BRIDGE_PORT: "0" }), { logDestination: quiet });
    t.after(() => app.service.close());
    const probes = await probeEdgeWithGarbage(app.service, [LifecycleService, BridgeService]);
    assert.equal(probes.length, (LifecycleService.methods.length + BridgeService.methods.length) * 7);
  });
});
