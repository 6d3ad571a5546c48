/**
 * Live tail benchmark: does the admin's tail keep up with 5,000 events/s while it samples?
 * Real envelopes are published to a real JetStream stream at a fixed rate; one client tails
 * the subject through the admin (a child process, `services/admin/src/main.ts`) at 100 events/s.
 * Kept up = every published event was either sent or counted as skipped, with the tail's
 * lag (published − seen) bounded while publishing; beside it, the raw limit: the same events
 * read by a bare ordered consumer in this process.
 *
 *   node bench/admin/tail-bench.ts [eventsPerSecond=5000] [seconds=10] [tailRate=100]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createDeviceEnvelope, encodeEnvelope } from "@langtian/envelope";
import { AdminService, TelemetrySchema } from "@langtian/proto";
import { startNodeService, tempDir, testNatsUrl, uniqueName } from "@langtian/testing";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

const rate = Number(process.argv[2] ?? 5_000);
const seconds = Number(process.argv[3] ?? 10);
const tailRate = Number(process.argv[4] ?? 100);
const ADMIN_MAIN = new URL("../../services/admin/src/main.ts", import.meta.url).pathname;
const total = rate * seconds;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const natsUrl = await testNatsUrl();
const nc = await connect({ servers: natsUrl });
const stream = uniqueName("TAIL").toUpperCase();
const subject = `${stream.toLowerCase()}.events.device.telemetry`;
await (await jetstreamManager(nc)).streams.add({
  name: stream,
  subjects: [`${stream.toLowerCase()}.events.>`],
  max_bytes: 512 * 1024 * 1024,
});
const payloads = Array.from({ length: 1000 }, (_, i) =>
  encodeEnvelope(
    createDeviceEnvelope({
      sourceSystem: "bench",
      eventTime: new Date(),
      payload: {
        kind: "telemetry",
        message: create(TelemetrySchema, {
          deviceId: `dev-${i % 16}`,
          sequence: BigInt(i),
          readings: [{ metric: "temp", value: { case: "doubleValue", value: 21.5 }, unit: "C" }],
        }),
      },
    }),
  ),
);

const dir = tempDir("tail-bench");
const configFile = join(dir, "admin.json");
writeFileSync(
  configFile,
  JSON.stringify({ port: 0, nats: { url: natsUrl, streams: [] }, kafka: { topics: [] } }),
);
const admin = await startNodeService({
  name: "admin",
  script: ADMIN_MAIN,
  env: { LANGTIAN_ADMIN_CONFIG_FILE: configFile },
  logFile: join(dir, "admin.log"),
});
const client = createClient(AdminService, createConnectTransport({ baseUrl: admin.url, httpVersion: "1.1" }));

// The raw limit: a bare ordered consumer of the same subject in this process.
let rawSeen = 0;
const raw = await jetstream(nc).consumers.get(stream, {
  filter_subjects: [subject],
  deliver_policy: DeliverPolicy.New,
});
const rawMessages = await raw.consume();
void (async () => {
  for await (const _ of rawMessages) rawSeen++;
})();

let sent = 0;
let skipped = 0;
const abort = new AbortController();
const tailing = (async () => {
  try {
    for await (const r of client.tail(
      { subjectFilter: subject, maxEventsPerSecond: tailRate },
      { signal: abort.signal },
    )) {
      if (r.event !== undefined) sent++;
      skipped += Number(r.skipped);
    }
  } catch {
    // aborted at the end
  }
})();
await new Promise((resolve) => setTimeout(resolve, 1_000));

const js = jetstream(nc);
const cpuStart = cpuSeconds(admin.process.pid);
const started = performance.now();
let published = 0;
let maxLag = 0;
for (let second = 0; second < seconds; second++) {
  const target = started + (second + 1) * 1000;
  const acks = [];
  for (let i = 0; i < rate; i++)
    acks.push(js.publish(subject, payloads[(published + i) % payloads.length] ?? new Uint8Array()));
  await Promise.all(acks);
  published += rate;
  maxLag = Math.max(maxLag, published - (sent + skipped));
  const wait = target - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
const publishSeconds = (performance.now() - started) / 1000;
const deadline = performance.now() + 30_000;
while (sent + skipped < total && performance.now() < deadline)
  await new Promise((resolve) => setTimeout(resolve, 100));
const drainedAfterMs = Math.max(0, performance.now() - started - publishSeconds * 1000);
const adminCores = (cpuSeconds(admin.process.pid) - cpuStart) / ((performance.now() - started) / 1000);
abort.abort();
await tailing;
await rawMessages.close();

console.log(
  JSON.stringify(
    {
      published: total,
      publishRatePerSecond: Math.round(total / publishSeconds),
      tail: {
        sent,
        skipped,
        accountedFor: sent + skipped,
        keptUp: sent + skipped >= total,
        sentPerSecond: Math.round(sent / publishSeconds),
        maxLagWhilePublishing: maxLag,
        caughtUpAfterPublishingMs: Math.round(drainedAfterMs),
        adminCores: Math.round(adminCores * 100) / 100,
      },
      rawOrderedConsumerSeen: rawSeen,
      goal: { eventsPerSecond: 5_000, keepUp: true },
    },
    null,
    2,
  ),
);
await admin.process.kill();
await nc.close();
process.exit(0);
