import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { testNatsUrl, waitFor } from "@langtian/testing";
import { createApp } from "../src/app.ts";
import { isolatedConfig, metricValue } from "../src/testing/test-helpers.ts";

/** A log destination that keeps every JSON line. */
function captureLog() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split("\n")) if (text !== "") lines.push(JSON.parse(text));
      done();
    },
  });
  return { lines, destination };
}

async function sendFrom(socket: Socket, port: number, datagrams: Uint8Array[]): Promise<void> {
  for (const d of datagrams) {
    await new Promise<void>((resolve, reject) =>
      socket.send(d, port, "127.0.0.1", (err) => (err ? reject(err) : resolve())),
    );
  }
}

for (const receiveThread of [true, false]) {
  describe(`rejected datagrams are logged (real nats-server, receive thread ${receiveThread ? "on" : "off"})`, () => {
    it("logs reason, sender and a sample a few times per reason, counts every one, and sums up the rest", async () => {
      const { lines, destination } = captureLog();
      const config = isolatedConfig(await testNatsUrl(), { udp: { receiveThread } });
      const app = createApp(config, { logDestination: destination });
      const sender = createSocket("udp4");
      try {
        await app.start();
        await new Promise<void>((resolve) => sender.bind(0, "127.0.0.1", resolve));
        const port = app.udp.get("json")?.port ?? assert.fail("no json listener");
        const bad = Array.from({ length: 40 }, (_, i) => new TextEncoder().encode(`{"broken": ${i}`));
        await sendFrom(sender, port, bad);
        const registry = app.service.metrics.registry;
        await waitFor(
          async () =>
            (await metricValue(registry, "langtian_collector_decode_errors_total", { listener: "json" })) ===
            40
              ? true
              : undefined,
          { what: "40 decode errors counted", timeoutMs: 30_000 },
        );
        const rejected = lines.filter((l) => l.msg === "input rejected");
        assert.ok(
          rejected.length >= 1 && rejected.length <= 5,
          `${rejected.length} lines: at most 5 per reason`,
        );
        const first = rejected[0] ?? assert.fail();
        assert.equal(first.path, "udp");
        assert.equal(first.listener, "json");
        assert.equal(typeof first.reason, "string");
        assert.notEqual(first.reason, "");
        assert.equal(first.source, `127.0.0.1:${sender.address().port}`, "the sender's address and port");
        assert.equal(first.sample, '{"broken": 0');
        assert.equal(first.sampleEncoding, "text");
      } finally {
        sender.close();
        await app.stop();
      }
      const summary = lines.find((l) => typeof l.suppressed === "number");
      assert.ok(summary, "the drain writes the pending 'suppressed' line");
      const written = lines.filter((l) => l.msg === "input rejected").length;
      assert.equal(
        Number(summary.suppressed) + written,
        40,
        "every rejection is either a line or in the summary",
      );
    });
  });
}
