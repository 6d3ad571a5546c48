import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type NatsCluster, startNatsCluster } from "./nats.ts";
import { consumeJetStream, jetStreamRoundTrip, publishJetStream } from "./roundtrip.ts";
import { uniqueName } from "./temp.ts";

describe("startNatsCluster", () => {
  let cluster: NatsCluster;
  before(async () => {
    cluster = await startNatsCluster();
  });
  after(async () => {
    await cluster.stop();
  });

  it("runs an R3 stream that keeps working with one node stopped", async () => {
    const stream = uniqueName("r3");
    const first = await jetStreamRoundTrip({ servers: cluster.urls, stream, count: 20, replicas: 3 });
    assert.equal(first.length, 20);

    const nc = await connect({ servers: cluster.urls });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(stream);
      assert.equal(info.config.num_replicas, 3);
      // Stop the stream's leader: the hardest case, a new leader must be elected.
      const leader = cluster.servers.find((s) => s.serverName === info.cluster?.leader);
      assert.ok(leader, `leader ${info.cluster?.leader} is one of ours`);
      await leader.stop();

      // Publishing retries until the new leader answers (PubAck times out meanwhile).
      await retry(() => publishJetStream(nc, stream, 20, 20));
      const rest = await retry(() => consumeJetStream(nc, stream, 20));
      assert.deepEqual(
        rest,
        Array.from({ length: 20 }, (_, i) => `message ${20 + i}`),
      );
      assert.equal((await jsm.streams.info(stream)).state.messages, 40);
    } finally {
      await nc.close();
    }
  });
});

async function retry<T>(fn: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
