import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testNatsUrl, uniqueName } from "@langtian/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { createJetStreamTarget, PublishRejectedError, type PublishTarget } from "../src/publish-target.ts";
import { connectTo } from "../src/testing/test-helpers.ts";

describe("JetStream publish target with async PubAcks (real nats-server)", () => {
  let nc: NatsConnection;
  let target: PublishTarget;
  const name = uniqueName("pubtarget");

  before(async () => {
    nc = await connectTo(await testNatsUrl());
    await (await jetstreamManager(nc)).streams.add({ name: name.toUpperCase(), subjects: [`${name}.>`] });
    target = createJetStreamTarget(nc, 5_000);
  });
  after(async () => {
    target?.close?.();
    await nc?.close();
  });

  const event = (subject: string, msgId: string) => ({
    subject,
    msgId,
    data: Uint8Array.of(1),
    receivedAtMs: Date.now(),
  });

  it("matches many concurrent PubAcks to their publishes and reports duplicates by Nats-Msg-Id", async () => {
    const acks = await Promise.all(
      Array.from({ length: 500 }, (_, i) => target.publish(event(`${name}.a`, `id-${i}`))),
    );
    assert.ok(acks.every((a) => !a.duplicate));
    const again = await Promise.all([0, 1, 2].map((i) => target.publish(event(`${name}.a`, `id-${i}`))));
    assert.ok(again.every((a) => a.duplicate));
    const info = await (await jetstreamManager(nc)).streams.info(name.toUpperCase());
    assert.equal(info.state.messages, 500);
  });

  it("rejects a publish no stream takes", async () => {
    await assert.rejects(target.publish(event(`${uniqueName("nostream")}.x`, "id")), PublishRejectedError);
  });
});
