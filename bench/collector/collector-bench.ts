/**
 * Collector benchmark (not a test): sustained device datagrams/s into JetStream with zero
 * application-level loss, on one node (R1) and on a 3-node cluster (R3), next to
 * `nats bench js pub async` on the same stream configuration. Prints one JSON document.
 *
 *   node bench/collector/collector-bench.ts [--step-seconds 5] [--rates 5000,10000,20000]
 *     [--topologies R1,R3] [--collector-main path/main.ts] [--simulator-main path/simulator/main.ts]
 *
 * The collector and the device simulator each run as their own process (`main.ts`), like in
 * production. For each offered rate the simulator sends device frames for a few seconds;
 * the step counts as sustained when the kernel dropped nothing, every datagram read was
 * accounted for (decoded or counted as an error), the stream gained exactly one message per
 * decoded event, and the last PubAck came within 2 s of the last datagram (no growing backlog).
 * `achievedPerSec` is decoded events over (send time + that catch-up time). `nats bench` runs
 * before and after the collector's steps; the ratio uses the better of the two runs.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import {
  buildEnvelope,
  createDefaultDecoders,
  encodeDeviceMessage,
  ensureStream,
  readKernelUdpStats,
} from "@langtian/collector";
import { encodeEnvelope } from "@langtian/envelope";
import {
  freePorts,
  provisionNatsCli,
  startNats,
  startNatsCluster,
  tempDir,
  waitFor,
} from "@langtian/testing";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { boxBusySeconds, cpuSeconds, natsServerPid, sampleCpuUntilExit } from "../src/proc-cpu.ts";
import { benchStreamSettings, metricSum, simulatorArgs } from "./bench-setup.ts";

const run = promisify(execFile);
const COLLECTOR_MAIN = fileURLToPath(new URL("../../services/collector/src/main.ts", import.meta.url));
const SIMULATOR_MAIN = fileURLToPath(
  new URL("../../services/collector/src/simulator/main.ts", import.meta.url),
);
const DEVICES = 50;

// Child processes (collector, simulator) are killed on any exit, also on Ctrl+C.
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130));

const { values } = parseArgs({
  options: {
    "step-seconds": { type: "string", default: "5" },
    rates: { type: "string", default: "5000,10000,15000,20000,25000,30000,40000" },
    "nats-bench-msgs": { type: "string", default: "200000" },
    topologies: { type: "string", default: "R1,R3" },
    // Another tree's collector and simulator (e.g. a copy of the code before a change), so
    // before and after run under the same harness.
    "collector-main": { type: "string", default: COLLECTOR_MAIN },
    "simulator-main": { type: "string", default: SIMULATOR_MAIN },
  },
});
const stepSeconds = Number(values["step-seconds"]);
const rates = values.rates.split(",").map(Number);

async function streamMessages(nc: NatsConnection, stream: string): Promise<number> {
  return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
}

/** Size of a typical collector message: the envelope built from one simulated device frame. */
function envelopeBytes(): number {
  const frame = encodeDeviceMessage("device-frame", {
    deviceId: "sim-1",
    sequence: 1,
    timestampMs: Date.now(),
    temperature: 21,
  });
  const decoder = createDefaultDecoders().get("device-frame");
  if (decoder === undefined) throw new Error("no device-frame decoder");
  const defaults = { eventType: "device.telemetry", sourceSystem: "bench", schemaVersion: "1.0" };
  return encodeEnvelope(buildEnvelope(decoder.decode(frame), defaults, Date.now())).length;
}

async function natsBench(urls: string[], replicas: number, size: number) {
  const cli = await provisionNatsCli();
  const settings = benchStreamSettings(replicas);
  const nc = await connect({ servers: urls });
  try {
    await ensureStream(await jetstreamManager(nc), settings);
  } finally {
    await nc.close();
  }
  const { stdout } = await run(
    cli,
    [
      "bench",
      "js",
      "pub",
      "async",
      `${settings.subjectPrefix}.device.telemetry`,
      "--server",
      urls.join(","),
      "--stream",
      settings.name,
      "--msgs",
      values["nats-bench-msgs"],
      "--size",
      String(size),
      "--dedup",
      "--no-progress",
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const match = /stats: ([\d,]+) msgs\/sec/.exec(stdout);
  if (!match?.[1]) throw new Error(`cannot read nats bench output:\n${stdout}`);
  return {
    msgsPerSec: Number(match[1].replaceAll(",", "")),
    messageBytes: size,
    command: "nats bench js pub async --dedup",
  };
}

interface Step {
  offeredPerSec: number;
  sent: number;
  kernelDrops: number;
  received: number;
  decoded: number;
  decodeErrors: number;
  streamMessages: number;
  spooled: number;
  achievedPerSec: number;
  catchUpMs: number;
  zeroApplicationLoss: boolean;
  sustained: boolean;
  collectorCpuCores: number;
  /** The simulator's and the nats-server(s)' CPU, and the whole box's busy time, over the same window. */
  simulatorCpuCores: number;
  natsServerCpuCores: number;
  boxBusyCores: number;
  collectorRssMiB: number;
  p99LatencyBucketMs: number | undefined;
}

async function collectorRun(urls: string[], replicas: number, natsPids: number[]) {
  const natsCpu = () => natsPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const settings = benchStreamSettings(replicas);
  const [httpPort = 0, udpPort = 0] = await freePorts(2);
  const collector = spawn(process.execPath, [values["collector-main"]], {
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      LANGTIAN_COLLECTOR_PORT: String(httpPort),
      LANGTIAN_COLLECTOR_LOG_LEVEL: "warn",
      LANGTIAN_COLLECTOR_NATS_URL: urls.join(","),
      LANGTIAN_COLLECTOR_STREAM_NAME: settings.name,
      LANGTIAN_COLLECTOR_STREAM_SUBJECT_PREFIX: settings.subjectPrefix,
      LANGTIAN_COLLECTOR_STREAM_REPLICAS: String(replicas),
      LANGTIAN_COLLECTOR_STREAM_MAX_AGE_MS: "0",
      LANGTIAN_COLLECTOR_UDP_LISTENERS: `udp://127.0.0.1:${udpPort}?decoder=device-frame&event_type=device.telemetry&source_system=bench`,
      LANGTIAN_COLLECTOR_SPOOL_DIR: tempDir("collector-bench-spool"),
    },
  });
  children.add(collector);
  const scrape = async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const nc = await connect({ servers: urls });
  const steps: Step[] = [];
  try {
    await waitFor(async () => ((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok ? true : undefined), {
      what: "collector ready",
      timeoutMs: 120_000,
      giveUpIf: () => (collector.exitCode !== null ? "collector exited" : undefined),
    });
    let startSequence = 1;
    for (const rate of rates) {
      const count = rate * stepSeconds;
      const before = await scrape();
      const streamBefore = await streamMessages(nc, settings.name);
      const kernelBefore = readKernelUdpStats()?.rcvbufErrors ?? 0;
      const natsCpuBefore = natsCpu();
      const boxBefore = boxBusySeconds();
      const simulator = spawn(
        process.execPath,
        simulatorArgs({
          simulatorMain: values["simulator-main"],
          udpPort,
          count,
          rate,
          devices: DEVICES,
          startSequence,
        }),
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      children.add(simulator);
      const simulatorCpu = sampleCpuUntilExit(simulator.pid);
      let output = "";
      simulator.stdout?.on("data", (d) => {
        output += String(d);
      });
      await new Promise((resolve) => simulator.once("exit", resolve));
      const exitedAt = performance.now();
      simulatorCpu.stop();
      children.delete(simulator);
      startSequence += Math.ceil(count / DEVICES);
      const report = JSON.parse(output.trim().split("\n").at(-1) ?? "{}") as {
        sent: number;
        durationMs: number;
      };
      // Caught up: every datagram read (or dropped by the kernel), every decoded event acknowledged.
      let rss = 0;
      const after = await waitFor(
        async () => {
          const text = await scrape();
          rss = Math.max(rss, metricSum(text, "langtian_process_resident_memory_bytes"));
          const drops = (readKernelUdpStats()?.rcvbufErrors ?? 0) - kernelBefore;
          const received =
            metricSum(text, "langtian_collector_datagrams_received_total") -
            metricSum(before, "langtian_collector_datagrams_received_total");
          const decoded = metricSum(text, "langtian_collector_events_decoded_total");
          const acked =
            metricSum(text, "langtian_collector_published_total") +
            metricSum(text, "langtian_collector_duplicates_total");
          const spool = metricSum(text, "langtian_collector_spool_depth_events");
          return received + drops >= report.sent && acked >= decoded && spool === 0 ? text : undefined;
        },
        { what: "collector caught up", timeoutMs: 300_000, intervalMs: 25 },
      );
      // From the first datagram sent (not the simulator's process start) to the last PubAck.
      const catchUpMs = Math.round(performance.now() - exitedAt);
      const wallSeconds = (report.durationMs + catchUpMs) / 1000;
      const delta = (name: string) => metricSum(after, name) - metricSum(before, name);
      const kernelDrops = (readKernelUdpStats()?.rcvbufErrors ?? 0) - kernelBefore;
      const decoded = delta("langtian_collector_events_decoded_total");
      const received = delta("langtian_collector_datagrams_received_total");
      const decodeErrors = delta("langtian_collector_decode_errors_total");
      const stored = (await streamMessages(nc, settings.name)) - streamBefore;
      const zeroApplicationLoss = received === decoded + decodeErrors && stored === decoded;
      const achievedPerSec = Math.round(decoded / wallSeconds);
      steps.push({
        offeredPerSec: rate,
        sent: report.sent,
        kernelDrops,
        received,
        decoded,
        decodeErrors,
        streamMessages: stored,
        spooled: delta("langtian_collector_spooled_total"),
        achievedPerSec,
        catchUpMs,
        zeroApplicationLoss,
        // Absorbed the offered rate: nothing lost or dropped, and the last PubAck came within
        // 2 s of the last datagram (the collector did not fall behind).
        sustained: zeroApplicationLoss && kernelDrops === 0 && received === report.sent && catchUpMs < 2_000,
        collectorCpuCores: Number((delta("langtian_process_cpu_seconds_total") / wallSeconds).toFixed(2)),
        simulatorCpuCores: Number((simulatorCpu.seconds() / wallSeconds).toFixed(2)),
        natsServerCpuCores: Number(((natsCpu() - natsCpuBefore) / wallSeconds).toFixed(2)),
        boxBusyCores: Number(((boxBusySeconds() - boxBefore) / wallSeconds).toFixed(2)),
        collectorRssMiB: Math.round(rss / 1024 / 1024),
        p99LatencyBucketMs: p99(after, before),
      });
      process.stderr.write(`[bench] R${replicas} ${JSON.stringify(steps.at(-1))}\n`);
      if (kernelDrops > 0 && received < report.sent * 0.9) break;
    }
  } finally {
    // The ordinary shutdown path (drain), so the collector's exit hooks run too.
    const exited = new Promise((resolve) => collector.once("exit", resolve));
    collector.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    for (const child of children) child.kill("SIGKILL");
    await nc.close();
  }
  const sustained = steps.filter((s) => s.sustained);
  const best = sustained.reduce<Step | undefined>(
    (a, s) => (a === undefined || s.achievedPerSec > a.achievedPerSec ? s : a),
    undefined,
  );
  return { sustainedDatagramsPerSec: best?.achievedPerSec ?? 0, best, steps };
}

/** Upper bound (ms) of the histogram bucket holding the 99th percentile of this step. */
function p99(after: string, before: string): number | undefined {
  const buckets = (text: string) =>
    text
      .split("\n")
      .filter((l) => l.startsWith("langtian_collector_source_read_latency_seconds_bucket{"))
      .map((l) => ({
        le: /le="([^"]+)"/.exec(l)?.[1] ?? "",
        count: Number(l.slice(l.lastIndexOf(" ") + 1)),
      }));
  const a = buckets(after);
  const b = new Map(buckets(before).map((x) => [x.le, x.count]));
  const deltas = a.map((x) => ({ le: x.le, count: x.count - (b.get(x.le) ?? 0) }));
  const total = deltas.find((x) => x.le === "+Inf")?.count ?? 0;
  const hit = deltas.find((x) => x.count >= total * 0.99);
  return hit === undefined || hit.le === "+Inf" ? undefined : Number(hit.le) * 1000;
}

const size = envelopeBytes();
const results: Record<string, unknown> = {};
for (const topology of values.topologies.split(",")) {
  const replicas = topology === "R3" ? 3 : 1;
  process.stderr.write(`[bench] ${topology}: starting nats-server\n`);
  const servers = replicas === 3 ? await startNatsCluster() : await startNats();
  const urls = "urls" in servers ? servers.urls : [servers.url];
  try {
    const nats = await natsBench(urls, replicas, size);
    process.stderr.write(`[bench] ${topology} nats bench: ${nats.msgsPerSec} msgs/s\n`);
    const storeDirs = "urls" in servers ? servers.servers.map((x) => x.storeDir) : [servers.storeDir];
    const collector = await collectorRun(urls, replicas, storeDirs.map(natsServerPid));
    // nats bench again after the collector: on a shared box one run varied by ±25 %, so the
    // ratio uses the better of the two (the stronger raw limit).
    const natsAfter = await natsBench(urls, replicas, size);
    process.stderr.write(`[bench] ${topology} nats bench (after): ${natsAfter.msgsPerSec} msgs/s\n`);
    const rawLimit = Math.max(nats.msgsPerSec, natsAfter.msgsPerSec);
    results[topology] = {
      natsBench: { ...nats, msgsPerSec: rawLimit, runs: [nats.msgsPerSec, natsAfter.msgsPerSec] },
      collector,
      ratioToNatsBench: Number((collector.sustainedDatagramsPerSec / rawLimit).toFixed(2)),
    };
  } finally {
    await servers.stop();
  }
}
console.log(
  JSON.stringify(
    {
      benchmark: "collector",
      when: new Date().toISOString(),
      node: process.version,
      cpus: (await import("node:os")).cpus().length,
      stepSeconds,
      devices: DEVICES,
      format: "device-frame",
      results,
    },
    null,
    2,
  ),
);
