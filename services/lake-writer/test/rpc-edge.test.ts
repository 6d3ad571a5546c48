import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { LakeWriterService, LifecycleService } from "@langtian/proto";
import { probeEdgeWithGarbage } from "@langtian/service-kit/testing";
import { createApp } from "../src/app.ts";
import { loadLakeWriterConfig } from "../src/config.ts";

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

describe("lake writer RPC edge", () => {
  it("refuses garbage to every RPC with a client-error Connect code, each counted once", async (t) => {
    // createApp opens no lake and joins no source until start(): the edge is tested alone.
    const app = createApp(loadLakeWriterConfig({ LANGTIAN_LAKE_WRITER_PORT: "0" }), {
      logDestination: quiet,
    });
    t.after(() => app.service.close());
    const probes = await probeEdgeWithGarbage(app.service, [LifecycleService, LakeWriterService]);
    assert.equal(probes.length, (LifecycleService.methods.length + LakeWriterService.methods.length) * 7);
  });
});
