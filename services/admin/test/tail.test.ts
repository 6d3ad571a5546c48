import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createDeviceEnvelope, encodeEnvelope } from "@langtian/envelope";
import { AdminService, type TailResponse, TelemetrySchema } from "@langtian/proto";
import { tempDir, testNatsUrl, uniqueName, waitFor } from "@langtian/testing";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type AdminApp, createApp } from "../src/app.ts";
import { loadAdminConfig } from "../src/config.ts";
import { runCli } from "../src/testing/run-cli.ts";

/** A telemetry envelope of device `dev-<i>`, sequence i. */
function telemetry(i: number): Uint8Array {
  return encodeEnvelope(
    createDeviceEnvelope({
      sourceSystem: "plant-a",
      eventTime: new Date(),
      receivedTime: new Date(),
      payload: {
        kind: "telemetry",
        message: create(TelemetrySchema, {
          deviceId: `dev-${i}`,
          sequence: BigInt(i),
          readings: [{ metric: "temp", value: { case: "doubleValue", value: 20 }, unit: "C" }],
        }),
      },
    }),
  );
}

/** Tail on a real JetStream stream: decoded events, the rate limit with skipped counts, the consumer removed. */
describe("admin tail", () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let app: AdminApp;
  let client: Client<typeof AdminService>;
  let adminUrl: string;
  const stream = uniqueName("TAIL")
    .toUpperCase()
    .replace(/[^A-Z0-9_-]/g, "_");
  const prefix = `tail.${stream.toLowerCase()}`;

  before(async () => {
    const natsUrl = await testNatsUrl();
    nc = await connect({ servers: natsUrl });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
    const dir = tempDir("admin-tail");
    app = createApp(
      loadAdminConfig(
        {},
        {
          port: 0,
          logLevel: "warn",
          nats: { url: natsUrl, streams: [] },
          kafka: { topics: [] },
          audit: { stream: uniqueName("AUDIT").toUpperCase() },
          lake: { catalog: "sqlite", catalogPath: join(dir, "catalog.sqlite"), dataPath: join(dir, "data") },
        },
      ),
    );
    await app.start();
    const { url } = await app.service.listen();
    adminUrl = url;
    client = createClient(AdminService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
  });
  after(async () => {
    await app?.stop();
    await jsm?.streams.delete(stream).catch(() => undefined);
    await nc?.close();
  });

  const consumers = async () => (await jsm.consumers.list(stream).next()).map((c) => c.config);
  /** Waits until the tail's consumer of `filter` exists (it starts at new events: publish only then). */
  const consumerStarted = (filter: string) =>
    waitFor(
      async () =>
        (await consumers()).some((c) => c.filter_subjects?.includes(filter) || c.filter_subject === filter)
          ? true
          : undefined,
      {
        what: "the tail's consumer",
        timeoutMs: 10_000,
        intervalMs: 50,
      },
    );

  it("streams published events decoded, through an ephemeral ordered consumer deleted on cancel", async () => {
    const stop = new AbortController();
    const received: TailResponse[] = [];
    const tailing = (async () => {
      try {
        for await (const r of client.tail(
          { subjectFilter: `${prefix}.device.>`, maxEventsPerSecond: 100 },
          { signal: stop.signal },
        )) {
          received.push(r);
          if (received.length === 5) stop.abort();
        }
      } catch (err) {
        if (!stop.signal.aborted) throw err;
      }
    })();
    await consumerStarted(`${prefix}.device.>`);
    const [config] = await consumers();
    assert.equal(config?.durable_name, undefined, "never a durable consumer");
    assert.equal(config?.ack_policy, "none", "an ordered consumer acknowledges nothing");
    const js = jetstream(nc);
    // Another subject of the stream, outside the filter: not tailed.
    await js.publish(`${prefix}.other`, telemetry(99));
    for (let i = 0; i < 5; i++) await js.publish(`${prefix}.device.telemetry`, telemetry(i));
    await tailing;
    assert.equal(received.length, 5);
    received.forEach((r, i) => {
      const e = r.event;
      assert.ok(e !== undefined);
      assert.equal(e.subject, `${prefix}.device.telemetry`);
      assert.equal(e.eventType, "device.telemetry");
      assert.equal(e.sourceSystem, "plant-a");
      assert.match(e.eventId, /^[0-9a-f-]{36}$/);
      assert.equal(e.error, "");
      const payload = JSON.parse(e.payloadJson) as { deviceId: string; sequence: string };
      assert.equal(payload.deviceId, `dev-${i}`);
      assert.equal(payload.sequence, String(i));
      assert.equal(r.skipped, 0n);
    });
    await waitFor(async () => ((await consumers()).length === 0 ? true : undefined), {
      what: "the tail's consumer to be deleted once the client went away",
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  });

  it("sends at most the limit per second at a high publish rate and reports how many it skipped", async () => {
    const rate = 20;
    const total = 4_000;
    const stop = new AbortController();
    let sent = 0;
    let skipped = 0n;
    let first: number | undefined;
    let last = 0;
    const tailing = (async () => {
      try {
        for await (const r of client.tail(
          { subjectFilter: `${prefix}.>`, maxEventsPerSecond: rate },
          { signal: stop.signal },
        )) {
          if (r.event !== undefined) {
            first ??= performance.now();
            last = performance.now();
            sent++;
          }
          skipped += r.skipped;
          if (BigInt(sent) + skipped >= BigInt(total)) stop.abort();
        }
      } catch (err) {
        if (!stop.signal.aborted) throw err;
      }
    })();
    await consumerStarted(`${prefix}.>`);
    const js = jetstream(nc);
    const started = performance.now();
    // About 2 s of publishing at ~2000 events/s: a hundred times the limit.
    for (let i = 0; i < total; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, k) => js.publish(`${prefix}.fast`, telemetry(i + k))),
      );
      const due = started + ((i + 100) / total) * 2_000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await Promise.race([
      tailing,
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error(`not every event was sent or counted: ${sent} + ${skipped}`)),
          20_000,
        ),
      ),
    ]);
    assert.equal(BigInt(sent) + skipped, BigInt(total), "every event is sent or counted as skipped");
    assert.ok(skipped > 0n);
    const seconds = (last - (first ?? last)) / 1000;
    // A burst of `rate` at most, then `rate` per second; timed here, at the receiving end, so
    // one more second of allowance for delivery delays on a loaded machine (still far below
    // the 4,000 published).
    assert.ok(sent <= 2 * rate + Math.ceil(seconds * rate) + 1, `${sent} sent in ${seconds.toFixed(2)} s`);
    assert.ok(sent >= rate, `${sent} sent`);
    await waitFor(async () => ((await consumers()).length === 0 ? true : undefined), {
      what: "the tail's consumer to be deleted",
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  });

  it("refuses a subject no stream holds, and a malformed filter", async () => {
    const codeOf = async (subjectFilter: string) => {
      try {
        for await (const _ of client.tail({ subjectFilter })) break;
        return "ok";
      } catch (err) {
        return (err as { code?: number }).code;
      }
    };
    assert.equal(await codeOf("nowhere.at.all"), 5); // not_found
    assert.equal(await codeOf("bad..subject"), 3); // invalid_argument
  });

  it("langtian tail prints the events as JSON lines and stops after --limit", async () => {
    const js = jetstream(nc);
    let done = false;
    // The CLI starts at new events: keep publishing until it has what it waits for.
    const publishing = (async () => {
      for (let i = 0; !done; i++) {
        await js.publish(`${prefix}.device.telemetry`, telemetry(1000 + i));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const result = await runCli([
      "tail",
      `${prefix}.device.>`,
      ...["--rate", "50", "--limit", "3", "--json", "--admin", adminUrl],
    ]);
    done = true;
    await publishing;
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event?: { eventType?: string; payloadJson?: string } });
    assert.equal(lines.filter((l) => l.event !== undefined).length, 3);
    assert.ok(lines.every((l) => l.event === undefined || l.event.eventType === "device.telemetry"));
    const text = await (async () => {
      done = false;
      const again = (async () => {
        for (let i = 0; !done; i++) {
          await js.publish(`${prefix}.device.telemetry`, telemetry(2000 + i));
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const r = await runCli(["tail", `${prefix}.device.>`, "--limit", "1", "--admin", adminUrl]);
      done = true;
      await again;
      return r;
    })();
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /device\.telemetry\s+plant-a\s+\{"deviceId":"dev-2\d+"/);
    await waitFor(async () => ((await consumers()).length === 0 ? true : undefined), {
      what: "the CLI's tail consumers to be deleted",
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  });
});
