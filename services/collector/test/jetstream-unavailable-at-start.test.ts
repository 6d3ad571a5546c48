import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  freePort,
  type NatsServer,
  type ServerProcess,
  startNats,
  startNatsWithoutJetStream,
  waitFor,
} from "@langtian/testing";
import { type CollectorApp, createApp } from "../src/app.ts";
import { runSimulator } from "../src/simulator/device-simulator.ts";
import {
  connectTo,
  isolatedConfig,
  quietLog,
  readStream,
  waitForStreamCount,
} from "../src/testing/test-helpers.ts";

// A collector (re)started while NATS answers but JetStream does not (a cluster that just lost
// a node and is electing a leader: JetStream requests time out) must start, keep its UDP port
// open and spool, as it does when NATS itself is unreachable, and not exit with a startup
// error. Made repeatable here with a nats-server without JetStream on the port first (its
// JetStream requests find no responder), then one with JetStream on the same port (the
// bridge's test of the same window: services/bridge/test/main.test.ts).
describe("JetStream not answering at startup (dedicated nats-server)", () => {
  let core: ServerProcess | undefined;
  let jetStream: NatsServer | undefined;
  let app: CollectorApp | undefined;

  after(async () => {
    await app?.stop();
    await core?.stop();
    await jetStream?.stop();
  });

  it("starts, spools what it accepts, and provisions the stream and delivers once JetStream answers", async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    core = await startNatsWithoutJetStream(port);
    const config = isolatedConfig(url, { nats: { url, ackTimeoutMs: 2_000, startupWaitMs: 5_000 } });
    app = createApp(config, { logDestination: quietLog });
    await app.start();
    await app.service.listen();
    const ready = await app.service.fastify.inject({ method: "GET", url: "/readyz" });
    assert.equal(ready.statusCode, 200, "ready: accepting into the spool is progress");
    const udpPort = app.udp.get("device-frame")?.port ?? assert.fail();
    const report = await runSimulator({
      host: "127.0.0.1",
      port: udpPort,
      format: "device-frame",
      count: 200,
      ratePerSec: 2_000,
    });
    const spool = app.spool;
    await waitFor(async () => (spool.depth === report.sent ? true : undefined), {
      what: "all in the spool",
      timeoutMs: 30_000,
    });

    await core.stop();
    jetStream = await startNats({ port });
    const nc = await connectTo(url);
    try {
      await waitForStreamCount(nc, config.stream.name, report.sent, 120_000);
      const messages = await readStream(nc, config.stream.name);
      assert.equal(new Set(messages.map((m) => m.envelope.eventId)).size, report.sent);
    } finally {
      await nc.close();
    }
  });
});
