/**
 * Admin overview benchmark: `GetOverview` latency with 20 instances configured, and the CPU the
 * admin spends serving 50 `WatchOverview` clients — each next to its raw limit measured in the
 * same run on the same box.
 *
 *   node bench/admin/admin-bench.ts [calls=200] [watchers=50] [watchSeconds=20]
 *
 * The deployment: a real lake writer process (writing a real lake from real Kafka), a real
 * JetStream stream with a consumer, and 19 more real service instances (service-kit apps in this
 * process, each serving Health, Status and /metrics over HTTP) — 20 instances. The admin runs as
 * its own process (`services/admin/src/main.ts`), so its CPU is its own (read from /proc).
 *
 * Raw limits beside our figures:
 * - `directPartsMs`: the same parts read directly by this process in parallel, without the
 *   admin (20 × Health + Status + /metrics, the stream and its consumers, the topic's end
 *   offsets): the cost of the reads themselves;
 * - the watch CPU is shown beside the CPU of one overview read per interval (`perReadCpuMs` ×
 *   reads per second): what the admin costs at best when every watcher shares one read.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AdminService, LifecycleService } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import {
  createServiceApp,
  defineConfigSchema,
  loadConfig,
  type ServiceApp,
  serviceFields,
} from "@langtian/service-kit";
import {
  startNodeService,
  startWrittenLake,
  tempDir,
  testKafkaBootstrap,
  testNatsUrl,
  uniqueName,
} from "@langtian/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Consumer } from "@platformatic/kafka";

const calls = Number(process.argv[2] ?? 200);
const watchers = Number(process.argv[3] ?? 50);
const watchSeconds = Number(process.argv[4] ?? 20);
const ADMIN_MAIN = new URL("../../services/admin/src/main.ts", import.meta.url).pathname;
const quiet = () => new Writable({ write: (_c, _e, done) => done() });
const ticks = 100; // USER_HZ on Linux

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
function summary(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: round(percentile(s, 50)), p99: round(percentile(s, 99)), max: round(s.at(-1) ?? 0) };
}
function round(n: number): number {
  return Math.round(n * 100) / 100;
}
/** CPU seconds (user + system) of a process so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

await provisionDuckdbExtensions();
const lake = await startWrittenLake(2_000);
const natsUrl = await testNatsUrl();
const bootstrap = await testKafkaBootstrap();
const nc = await connect({ servers: natsUrl });
const stream = uniqueName("BENCH").toUpperCase();
const jsm = await jetstreamManager(nc);
await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], max_bytes: 64 * 1024 * 1024 });
await jsm.consumers.add(stream, { durable_name: "bridge", ack_policy: "explicit" });
for (let i = 0; i < 1000; i++) await jetstream(nc).publish(`${stream}.e`, new Uint8Array(100));

// 19 more real instances: each a service-kit app with its Lifecycle service and /metrics.
const instanceConfig = loadConfig(
  defineConfigSchema("bridge", serviceFields({ port: 0 })),
  {},
  { logLevel: "warn" },
);
const apps: ServiceApp[] = [];
const instances = [`lake-writer-1=lake-writer@${lake.writer.url}`];
for (let i = 0; i < 19; i++) {
  const app = createServiceApp({
    name: "bridge",
    version: "0.1.0",
    config: instanceConfig,
    logDestination: quiet(),
  });
  apps.push(app);
  instances.push(`bridge-${i + 1}=bridge@${(await app.listen()).url}`);
}

const dir = tempDir("admin-bench");
const configFile = join(dir, "admin.json");
writeFileSync(
  configFile,
  JSON.stringify({
    port: 0,
    logLevel: "info",
    deployment: { instances },
    nats: { url: natsUrl, streams: [stream] },
    kafka: { bootstrap: bootstrap.split(","), topics: [lake.topic] },
    lake: lake.lakeSettings(),
  }),
);
const admin = await startNodeService({
  name: "admin",
  script: ADMIN_MAIN,
  env: { LANGTIAN_ADMIN_CONFIG_FILE: configFile },
  logFile: join(dir, "admin.log"),
});
const client = createClient(AdminService, createConnectTransport({ baseUrl: admin.url, httpVersion: "1.1" }));

// GetOverview latency. Calls 600 ms apart: each is a fresh read (the admin shares a read among
// callers for 500 ms, which would otherwise make this a cache benchmark).
for (let i = 0; i < 5; i++) await client.getOverview({});
const overviewMs: number[] = [];
const cpuBefore = cpuSeconds(admin.process.pid);
for (let i = 0; i < calls; i++) {
  await new Promise((resolve) => setTimeout(resolve, 600));
  const started = performance.now();
  const { overview } = await client.getOverview({});
  overviewMs.push(performance.now() - started);
  if (overview?.instances.filter((x) => x.ready).length !== 20) throw new Error("not every instance ready");
}
const perReadCpuMs = ((cpuSeconds(admin.process.pid) - cpuBefore) * 1000) / calls;

// The raw limit: the same parts read directly, in parallel, from this process.
const lifecycle = instances.map((entry) =>
  createClient(
    LifecycleService,
    createConnectTransport({ baseUrl: entry.split("@")[1] ?? "", httpVersion: "1.1" }),
  ),
);
const probe = new Consumer({
  groupId: "bench-probe",
  clientId: "bench",
  bootstrapBrokers: bootstrap.split(","),
});
const directMs: number[] = [];
for (let i = 0; i < calls; i++) {
  const started = performance.now();
  await Promise.all([
    ...lifecycle.map((c, j) =>
      Promise.all([
        c.health({}),
        c.status({}),
        fetch(`${instances[j]?.split("@")[1]}/metrics`).then((r) => r.text()),
      ]),
    ),
    jsm.streams.info(stream),
    (async () => {
      for await (const _ of jsm.consumers.list(stream)) {
        // every consumer's info
      }
    })(),
    probe.listOffsets({ topics: [lake.topic] }),
  ]);
  directMs.push(performance.now() - started);
}
await probe.close(true);

// WatchOverview: `watchers` clients at the default interval; the admin's CPU over the window.
const abort = new AbortController();
let messages = 0;
const watching = Array.from({ length: watchers }, async () => {
  try {
    for await (const _ of client.watchOverview({ intervalMs: 2_000 }, { signal: abort.signal })) messages++;
  } catch {
    // aborted at the end of the window
  }
});
await new Promise((resolve) => setTimeout(resolve, 3_000));
const watchCpuStart = cpuSeconds(admin.process.pid);
const watchStart = performance.now();
const messagesStart = messages;
await new Promise((resolve) => setTimeout(resolve, watchSeconds * 1000));
const watchCores =
  (cpuSeconds(admin.process.pid) - watchCpuStart) / ((performance.now() - watchStart) / 1000);
const watchMessages = messages - messagesStart;
abort.abort();
await Promise.all(watching);

console.log(
  JSON.stringify(
    {
      instances: instances.length,
      getOverview: { calls, latencyMs: summary(overviewMs), perReadCpuMs: round(perReadCpuMs) },
      directPartsMs: summary(directMs),
      getOverviewP99OverDirectP99: round(summary(overviewMs).p99 / summary(directMs).p99),
      watchOverview: {
        clients: watchers,
        seconds: watchSeconds,
        messagesPerSecond: round(watchMessages / watchSeconds),
        adminCores: round(watchCores),
        oneSharedReadPerIntervalCores: round(perReadCpuMs / 1000 / 2),
      },
      goals: { getOverviewP99Ms: 200, watch50ClientsCores: 0.2 },
    },
    null,
    2,
  ),
);

await admin.process.kill();
for (const app of apps) await app.close();
await nc.close();
await lake.stop();
process.exit(0);
