/**
 * Fixed-load profile of the collector (not a test): one nats-server (R1), the collector and
 * the device simulator as separate processes, the simulator offering `--rate` device frames/s
 * for `--seconds`. Prints one JSON document with the CPU per event of the collector and of the
 * simulator. With `--cpu-prof DIR` the collector writes a V8 CPU profile into DIR.
 *
 *   node bench/collector/collector-profile.ts [--rate 8000] [--seconds 8] [--cpu-prof /tmp/prof]
 *   [--collector-main path/to/main.ts] [--simulator-main path/to/simulator/main.ts]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePorts, startNats, tempDir, uniqueName, waitFor } from "@langtian/testing";
import { cpuSeconds, natsServerPid, sampleCpuUntilExit } from "../src/proc-cpu.ts";
import { metricSum, simulatorArgs } from "./bench-setup.ts";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "8000" },
    seconds: { type: "string", default: "8" },
    "cpu-prof": { type: "string" },
    "collector-main": {
      type: "string",
      default: fileURLToPath(new URL("../../services/collector/src/main.ts", import.meta.url)),
    },
    "simulator-main": {
      type: "string",
      default: fileURLToPath(new URL("../../services/collector/src/simulator/main.ts", import.meta.url)),
    },
  },
});
const rate = Number(values.rate);
const count = rate * Number(values.seconds);

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

const nats = await startNats();
try {
  const name = uniqueName("prof");
  const [httpPort = 0, udpPort = 0] = await freePorts(2);
  const cpuProf =
    values["cpu-prof"] === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof"]];
  const collector = spawn(process.execPath, [...cpuProf, values["collector-main"]], {
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      LANGTIAN_COLLECTOR_PORT: String(httpPort),
      LANGTIAN_COLLECTOR_LOG_LEVEL: "warn",
      LANGTIAN_COLLECTOR_NATS_URL: nats.url,
      LANGTIAN_COLLECTOR_STREAM_NAME: name.toUpperCase(),
      LANGTIAN_COLLECTOR_STREAM_SUBJECT_PREFIX: `${name}.events`,
      LANGTIAN_COLLECTOR_STREAM_MAX_AGE_MS: "0",
      LANGTIAN_COLLECTOR_UDP_LISTENERS: `udp://127.0.0.1:${udpPort}?decoder=device-frame&event_type=device.telemetry&source_system=bench`,
      LANGTIAN_COLLECTOR_SPOOL_DIR: tempDir("collector-profile-spool"),
    },
  });
  children.add(collector);
  const scrape = async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  await waitFor(async () => ((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok ? true : undefined), {
    what: "collector ready",
    timeoutMs: 60_000,
  });
  const collectorCpuBefore = cpuSeconds(collector.pid);
  // nats-server's own CPU over the same window (it shares the 2 cores with both processes).
  const natsPid = natsServerPid(nats.storeDir);
  const natsCpuBefore = cpuSeconds(natsPid);
  const simulator = spawn(
    process.execPath,
    simulatorArgs({ simulatorMain: values["simulator-main"], udpPort, count, rate, devices: 50 }),
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.add(simulator);
  let output = "";
  simulator.stdout?.on("data", (d) => {
    output += String(d);
  });
  const simulatorCpu = sampleCpuUntilExit(simulator.pid);
  await new Promise((resolve) => simulator.once("exit", resolve));
  simulatorCpu.stop();
  const after = await waitFor(
    async () => {
      const text = await scrape();
      const acked =
        metricSum(text, "langtian_collector_published_total") +
        metricSum(text, "langtian_collector_duplicates_total");
      return acked >= metricSum(text, "langtian_collector_events_decoded_total") &&
        metricSum(text, "langtian_collector_datagrams_received_total") > 0
        ? text
        : undefined;
    },
    { what: "collector caught up", timeoutMs: 120_000, intervalMs: 25 },
  );
  const collectorCpu = cpuSeconds(collector.pid) - collectorCpuBefore;
  const natsCpu = cpuSeconds(natsPid) - natsCpuBefore;
  const decoded = metricSum(after, "langtian_collector_events_decoded_total");
  const report = JSON.parse(output.trim().split("\n").at(-1) ?? "{}") as { sent: number; durationMs: number };
  const exited = new Promise((resolve) => collector.once("exit", resolve));
  collector.kill("SIGTERM");
  await exited;
  console.log(
    JSON.stringify({
      rate,
      sent: report.sent,
      durationMs: report.durationMs,
      received: metricSum(after, "langtian_collector_datagrams_received_total"),
      decoded,
      collectorUsPerEvent: Math.round((collectorCpu * 1e6) / decoded),
      simulatorUsPerDatagram: Math.round((simulatorCpu.seconds() * 1e6) / report.sent),
      natsServerUsPerEvent: Math.round((natsCpu * 1e6) / decoded),
    }),
  );
} finally {
  await nats.stop();
}
