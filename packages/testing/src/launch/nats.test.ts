import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type NatsServer, startNats } from "./nats.ts";
import { canListen } from "./ports.ts";
import { jetStreamRoundTrip, publishJetStream } from "./roundtrip.ts";
import { testNatsUrl } from "./shared.ts";
import { uniqueName } from "./temp.ts";

const expected = (count: number) => Array.from({ length: count }, (_, i) => `message ${i}`);

describe("shared nats-server", () => {
  it("delivers published messages to a durable pull consumer that acks them", async () => {
    const url = await testNatsUrl();
    const stream = uniqueName("launcher");
    const received = await jetStreamRoundTrip({ servers: url, stream, count: 100 });
    assert.deepEqual(received, expected(100));

    const nc = await connect({ servers: url });
    try {
      const info = await (await jetstreamManager(nc)).consumers.info(stream, "reader");
      assert.equal(info.num_pending, 0);
      assert.equal(info.num_ack_pending, 0);
      assert.equal(info.delivered.stream_seq, 100);
    } finally {
      await nc.close();
    }
  });
});

describe("startNats", () => {
  let server: NatsServer;
  before(async () => {
    server = await startNats();
  });
  after(async () => {
    await server.stop();
  });

  it("keeps JetStream data across restart and after a crash", async () => {
    const stream = uniqueName("persist");
    let nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    await publishJetStream(nc, stream, 0, 10);
    await nc.close();

    await server.restart();
    await server.kill();
    assert.equal(server.isRunning(), false);
    await server.start();

    nc = await connect({ servers: server.url });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(stream);
      assert.equal(info.state.messages, 10);
    } finally {
      await nc.close();
    }
  });

  it("frees its port when stopped", async () => {
    await server.stop();
    assert.equal(server.isRunning(), false);
    assert.equal(await canListen(server.port), true);
  });
});
