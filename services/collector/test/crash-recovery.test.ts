import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePorts, type NatsServer, startNats, tempDir, uniqueName, waitFor } from "@langtian/testing";
import { runSimulator } from "../src/simulator/device-simulator.ts";
import { connectTo, readStream, waitForStreamCount } from "../src/testing/test-helpers.ts";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const COUNT = 500;

/** Value of a metric in a Prometheus text exposition (first series), or undefined. */
function scrape(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("collector crash with a non-empty spool (child process, dedicated nats-server)", () => {
  let server: NatsServer;
  const children = new Set<ChildProcess>();
  let env: NodeJS.ProcessEnv;
  let httpPort: number;
  let udpPort: number;
  const name = uniqueName("crash");
  const stream = name.toUpperCase();

  const startCollector = () => {
    const child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "ignore", "inherit"] });
    children.add(child);
    child.once("exit", () => children.delete(child));
    return child;
  };
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${httpPort}${path}`);
    return { status: response.status, text: await response.text() };
  };

  before(async () => {
    server = await startNats();
    [httpPort = 0, udpPort = 0] = await freePorts(2);
    env = {
      ...process.env,
      LANGTIAN_COLLECTOR_PORT: String(httpPort),
      LANGTIAN_COLLECTOR_LOG_LEVEL: "warn",
      LANGTIAN_COLLECTOR_NATS_URL: server.url,
      LANGTIAN_COLLECTOR_NATS_ACK_TIMEOUT_MS: "1000",
      LANGTIAN_COLLECTOR_STREAM_NAME: stream,
      LANGTIAN_COLLECTOR_STREAM_SUBJECT_PREFIX: `${name}.events`,
      LANGTIAN_COLLECTOR_STREAM_MAX_BYTES: String(256 * 1024 * 1024),
      LANGTIAN_COLLECTOR_UDP_LISTENERS: `udp://127.0.0.1:${udpPort}?decoder=device-frame&event_type=device.telemetry&source_system=crash-site`,
      LANGTIAN_COLLECTOR_SPOOL_DIR: tempDir("collector-crash-spool"),
      LANGTIAN_COLLECTOR_SPOOL_FSYNC: "never",
      LANGTIAN_COLLECTOR_PUBLISH_REPLAY_RETRY_MS: "100",
    };
  });

  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    await server?.stop();
  });

  it("replays the spool after SIGKILL and a restart, losing nothing", async () => {
    const first = startCollector();
    await waitFor(async () => ((await get("/readyz")).status === 200 ? true : undefined), {
      what: "collector ready",
      timeoutMs: 60_000,
      giveUpIf: () => (first.exitCode !== null ? `collector exited with ${first.exitCode}` : undefined),
    });
    await server.stop();
    // It stays ready (it accepts into the spool) and reports NATS degraded.
    await waitFor(
      async () => {
        const ready = await get("/readyz");
        const nats = (
          JSON.parse(ready.text) as { dependencies: { name: string; healthy: boolean }[] }
        ).dependencies.find((d) => d.name === "nats");
        return ready.status === 200 && nats?.healthy === false ? true : undefined;
      },
      { what: "collector noticing NATS is gone", timeoutMs: 30_000 },
    );
    const report = await runSimulator({
      host: "127.0.0.1",
      port: udpPort,
      format: "device-frame",
      count: COUNT,
      ratePerSec: 2_000,
    });
    assert.equal(report.good, COUNT);
    const spooled = await waitFor(
      async () => {
        const text = (await get("/metrics")).text;
        const depth = scrape(text, "langtian_collector_spool_depth_events") ?? 0;
        const decoded = scrape(text, "langtian_collector_events_decoded_total") ?? 0;
        return decoded === COUNT && depth === COUNT ? depth : undefined;
      },
      { what: "every datagram in the spool", timeoutMs: 60_000 },
    );
    assert.equal(spooled, COUNT);
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));

    await server.start();
    const second = startCollector();
    const nc = await connectTo(server.url);
    try {
      await waitForStreamCount(nc, stream, COUNT, 120_000);
      const messages = await readStream(nc, stream);
      assert.equal(messages.length, COUNT);
      assert.equal(new Set(messages.map((m) => m.envelope.eventId)).size, COUNT);
      await waitFor(
        async () =>
          scrape((await get("/metrics")).text, "langtian_collector_spool_depth_events") === 0
            ? true
            : undefined,
        { what: "spool empty after replay", timeoutMs: 60_000 },
      );
      // The ordinary shutdown path drains and exits cleanly.
      const exited = new Promise<number | null>((resolve) => second.once("exit", (code) => resolve(code)));
      second.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      await nc.close();
    }
  });
});
