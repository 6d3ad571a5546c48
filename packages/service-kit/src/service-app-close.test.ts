import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConnectError } from "@connectrpc/connect";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { LifecycleService } from "@langtian/proto";
import { loadConfig } from "./config.ts";
import { defineConfigSchema } from "./config-schema.ts";
import { createServiceApp } from "./service-app.ts";
import { serviceFields } from "./service-config.ts";

const TOKEN = "close-test-operator-token";
const schema = defineConfigSchema("closer", serviceFields({ port: 0 }));
const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

function build() {
  const config = loadConfig(schema, {
    LANGTIAN_CLOSER_LOG_LEVEL: "silent",
    LANGTIAN_CLOSER_OPERATOR_TOKEN: TOKEN,
  });
  return createServiceApp({ schema, config, version: "1" });
}

for (const httpVersion of ["1.1", "2"] as const) {
  describe(`app.close over HTTP/${httpVersion}`, () => {
    it("lets an in-flight RPC finish within the grace", async (t) => {
      const app = build();
      t.after(() => app.close({ graceMs: 0 }));
      let release: () => void = () => {};
      let started: () => void = () => {};
      const hookStarted = new Promise<void>((r) => {
        started = r;
      });
      app.lifecycle.onDrain({
        name: "slow",
        run: () =>
          new Promise<void>((r) => {
            release = r;
            started();
          }),
      });
      const { url } = await app.listen();
      const client = createClient(LifecycleService, createConnectTransport({ baseUrl: url, httpVersion }));
      const call = client.drain({}, auth);
      await hookStarted;
      const closing = app.close({ graceMs: 30_000 });
      release();
      assert.equal((await call).deadlineExceeded, false);
      await closing;
      assert.equal(app.fastify.server.listening, false);
    });

    it("answers Unavailable to an RPC that outlives the grace and still finishes closing", async (t) => {
      const app = build();
      t.after(() => app.close({ graceMs: 0 }));
      let started: () => void = () => {};
      const hookStarted = new Promise<void>((r) => {
        started = r;
      });
      app.lifecycle.onDrain({
        name: "forever",
        run: () => {
          started();
          return new Promise<void>(() => {});
        },
      });
      const { url } = await app.listen();
      const client = createClient(LifecycleService, createConnectTransport({ baseUrl: url, httpVersion }));
      // Settle-handled at once: the rejection arrives while close() is still being awaited.
      const outcome = client.drain({ deadlineMs: 600_000 }, auth).then(
        () => undefined,
        (err: ConnectError) => err,
      );
      await hookStarted;
      await app.close({ graceMs: 50 });
      assert.equal((await outcome)?.code, Code.Unavailable);
    });
  });
}
