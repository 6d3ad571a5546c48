import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testNatsUrl, uniqueName } from "@langtian/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type EventStreamSettings, ensureStream, StreamProvisionError } from "../src/stream-provisioner.ts";
import { connectTo } from "../src/testing/test-helpers.ts";

describe("stream provisioning (real nats-server)", () => {
  let nc: NatsConnection;
  before(async () => {
    nc = await connectTo(await testNatsUrl());
  });
  after(async () => {
    await nc?.close();
  });

  const settings = (): EventStreamSettings => {
    const name = uniqueName("prov");
    return {
      name: name.toUpperCase(),
      subjectPrefix: `${name}.events`,
      replicas: 1,
      duplicateWindowMs: 60_000,
      maxBytes: 64 * 1024 * 1024,
      maxAgeMs: 3_600_000,
      maxMsgs: 0,
      maxMsgBytes: 1024 * 1024,
    };
  };

  it("creates a file-backed limits stream with DiscardNew, then verifies it unchanged", async () => {
    const s = settings();
    const jsm = await jetstreamManager(nc);
    assert.deepEqual(await ensureStream(jsm, s), { created: true, differences: [] });
    const info = await jsm.streams.info(s.name);
    assert.equal(info.config.storage, "file");
    assert.equal(info.config.discard, "new");
    assert.equal(info.config.duplicate_window, 60_000 * 1_000_000);
    assert.deepEqual(info.config.subjects, [`${s.subjectPrefix}.>`]);
    assert.deepEqual(await ensureStream(jsm, s), { created: false, differences: [] });
  });

  it("names every setting where the live stream differs from the configuration", async () => {
    const s = settings();
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, s);
    const result = await ensureStream(jsm, { ...s, duplicateWindowMs: 30_000, maxBytes: 32 * 1024 * 1024 });
    assert.equal(result.created, false);
    assert.deepEqual(result.differences, [
      { field: "duplicate_window", live: "60000ms", configured: "30000ms" },
      { field: "max_bytes", live: String(64 * 1024 * 1024), configured: String(32 * 1024 * 1024) },
    ]);
  });

  it("explains a stream the server cannot hold", async () => {
    const jsm = await jetstreamManager(nc);
    await assert.rejects(ensureStream(jsm, { ...settings(), maxBytes: 2 ** 52 }), StreamProvisionError);
  });
});
