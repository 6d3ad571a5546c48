/**
 * Readiness timelines of the collector and the bridge while NATS, then Kafka, is down: both
 * services run in this process against a real nats-server and a real Kafka broker (started
 * here), `/readyz` of each is polled every 250 ms over HTTP, and every change (status code or
 * a dependency's health) is recorded relative to the moment the outage began.
 *
 *   node bench/readiness/readiness-timeline.ts [outageSeconds]
 *
 * Prints one JSON object: per outage, when the server was stopped and back, and per service the
 * changes seen (ms after the stop was requested).
 */
import { Writable } from "node:stream";
import { createApp as createBridge, loadBridgeConfig, runProvision } from "@langtian/bridge";
import { testBridgeEnv, testNames } from "@langtian/bridge/testing";
import { collectorConfigSchema as collectorSchema, createApp as createCollector } from "@langtian/collector";
import { loadConfig } from "@langtian/service-kit";
import { startKafka, startNats, tempDir, uniqueName, waitFor } from "@langtian/testing";

const outageMs = Number(process.argv[2] ?? 10) * 1000;
const POLL_MS = 250;
const quiet = () => new Writable({ write: (_chunk, _encoding, done) => done() });

/** One observed state of a service's /readyz. */
interface Observation {
  readonly status: number;
  /** Names of the dependencies reported unhealthy. */
  readonly unhealthy: string[];
}

/** Polls a /readyz every POLL_MS and keeps each change with the time its request was sent. */
function watch(url: string) {
  let origin = performance.now();
  let last = "";
  let changes: { atMs: number; status: number; unhealthy: string[] }[] = [];
  let latest: Observation | undefined;
  const timer = setInterval(() => {
    const sentAt = performance.now();
    fetch(`${url}/readyz`)
      .then(async (res) => {
        const body = (await res.json()) as { dependencies: { name: string; healthy: boolean }[] };
        const o = {
          status: res.status,
          unhealthy: body.dependencies.filter((d) => !d.healthy).map((d) => d.name),
        };
        latest = o;
        const key = JSON.stringify(o);
        if (key !== last) {
          last = key;
          changes.push({ atMs: Math.round(sentAt - origin), ...o });
        }
      })
      .catch(() => undefined);
  }, POLL_MS);
  return {
    /** Starts a new timeline at this moment (the state at this moment is its first entry). */
    restart() {
      origin = performance.now();
      changes = latest === undefined ? [] : [{ atMs: 0, ...latest }];
    },
    changes: () => changes,
    latest: () => latest,
    stop: () => clearInterval(timer),
  };
}

const [nats, kafka] = await Promise.all([startNats(), startKafka()]);
const names = testNames("readiness");
const bridgeConfig = loadBridgeConfig(
  testBridgeEnv({ natsUrl: nats.url, kafkaBootstrap: kafka.bootstrap }, names),
);
await runProvision(bridgeConfig);
const bridge = createBridge(bridgeConfig, { logDestination: quiet() });
await bridge.start();
const bridgeUrl = (await bridge.service.listen()).url;
const collectorName = uniqueName("readiness");
const collector = createCollector(
  loadConfig(
    collectorSchema,
    {},
    {
      port: 0,
      logLevel: "warn",
      nats: { url: nats.url },
      stream: { name: collectorName.toUpperCase(), subjectPrefix: `${collectorName}.events` },
      udp: { listeners: [] },
      spool: { dir: tempDir("readiness-spool"), fsync: "never" },
    },
  ),
  { logDestination: quiet() },
);
await collector.start();
const collectorUrl = (await collector.service.listen()).url;
const watchers = { collector: watch(collectorUrl), bridge: watch(bridgeUrl) };

async function allReady(): Promise<void> {
  await waitFor(
    async () =>
      Object.values(watchers).every((w) => w.latest()?.status === 200 && w.latest()?.unhealthy.length === 0)
        ? true
        : undefined,
    { what: "both services ready with every dependency healthy", timeoutMs: 120_000 },
  );
}

async function outage(stop: () => Promise<void>, start: () => Promise<void>) {
  await allReady();
  for (const w of Object.values(watchers)) w.restart();
  const t0 = performance.now();
  await stop();
  const stoppedAtMs = Math.round(performance.now() - t0);
  await new Promise((resolve) => setTimeout(resolve, outageMs - stoppedAtMs));
  const startRequestedAtMs = Math.round(performance.now() - t0);
  await start();
  const backAtMs = Math.round(performance.now() - t0);
  await allReady();
  // One more poll round so the last change is in.
  await new Promise((resolve) => setTimeout(resolve, 2 * POLL_MS));
  return {
    stoppedAtMs,
    startRequestedAtMs,
    backAtMs,
    collector: watchers.collector.changes(),
    bridge: watchers.bridge.changes(),
  };
}

try {
  const natsDown = await outage(
    () => nats.stop(),
    () => nats.start(),
  );
  const kafkaDown = await outage(
    () => kafka.stopBroker(0),
    () => kafka.startBroker(0),
  );
  console.log(
    JSON.stringify(
      {
        pollMs: POLL_MS,
        outageMs,
        readinessGraceMs: { collector: 3000, bridge: bridgeConfig.readinessGraceMs },
        natsDown,
        kafkaDown,
      },
      null,
      2,
    ),
  );
} finally {
  for (const w of Object.values(watchers)) w.stop();
  await collector.stop();
  await bridge.stop();
  await kafka.stop();
  await nats.stop();
}
