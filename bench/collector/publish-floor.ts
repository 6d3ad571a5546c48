/**
 * The publishing floor of the collector (not a test): how many pre-encoded envelopes per
 * second nats.js alone gets into JetStream with the collector's publish path (core publish
 * with `Nats-Msg-Id`, async PubAcks matched on one inbox subscription, every PubAck checked,
 * at most `--in-flight` outstanding), with no UDP, decoding or envelope building — next to
 * `nats bench js pub async` on the same stream configuration. Prints one JSON document.
 *
 *   node bench/collector/publish-floor.ts [--msgs 200000] [--in-flight 4096] [--topologies R1,R3]
 */
import { parseArgs } from "node:util";
import { createJetStreamTarget, ensureStream, type OutboundEvent } from "@langtian/collector";
import { uuidv7 } from "@langtian/envelope";
import { startNats, startNatsCluster } from "@langtian/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { benchStreamSettings } from "./bench-setup.ts";

const { values } = parseArgs({
  options: {
    msgs: { type: "string", default: "200000" },
    "in-flight": { type: "string", default: "4096" },
    size: { type: "string", default: "194" },
    topologies: { type: "string", default: "R1,R3" },
  },
});
const total = Number(values.msgs);
const window = Number(values["in-flight"]);
const data = new Uint8Array(Number(values.size)).fill(0x61);

async function floor(urls: string[], replicas: number) {
  const settings = benchStreamSettings(replicas, "floor");
  const nc = await connect({ servers: urls, noAsyncTraces: true });
  try {
    await ensureStream(await jetstreamManager(nc), settings);
    const target = createJetStreamTarget(nc, 10_000);
    const subject = `${settings.subjectPrefix}.device.telemetry`;
    // Ids made up front so the timed loop is the publish path only.
    const events: OutboundEvent[] = Array.from({ length: total }, () => ({
      subject,
      msgId: uuidv7(),
      data,
      receivedAtMs: 0,
    }));
    let sent = 0;
    let acked = 0;
    let failed = 0;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    await new Promise<void>((resolve) => {
      const done = (err: Error | undefined) => {
        if (err) failed++;
        acked++;
        if (acked === total) resolve();
        else if (sent < total && sent - acked < window) pump();
      };
      // Keep `window` publishes outstanding; flush once per event-loop turn like the collector.
      const pump = () => {
        while (sent < total && sent - acked < window) target.send?.(events[sent++] as OutboundEvent, done);
      };
      pump();
    });
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    target.close?.();
    const info = await (await jetstreamManager(nc)).streams.info(settings.name);
    return {
      msgsPerSec: Math.round(total / seconds),
      failed,
      streamMessages: info.state.messages,
      publisherUsPerMsg: Number(((cpu.user + cpu.system) / total).toFixed(1)),
    };
  } finally {
    await nc.close();
  }
}

const results: Record<string, unknown> = {};
for (const topology of values.topologies.split(",")) {
  const replicas = topology === "R3" ? 3 : 1;
  const servers = replicas === 3 ? await startNatsCluster() : await startNats();
  const urls = "urls" in servers ? servers.urls : [servers.url];
  try {
    results[topology] = await floor(urls, replicas);
  } finally {
    await servers.stop();
  }
}
console.log(
  JSON.stringify({ benchmark: "collector-publish-floor", msgs: total, inFlight: window, results }, null, 2),
);
