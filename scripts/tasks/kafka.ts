import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { cacheRoot } from "../../packages/provision/src/cache-root.mjs";

/** What `npm run kafka` accepts (after `--`). */
const usage = `usage: npm run kafka -- [--data-dir <folder>] [--port <n>] [--controller-port <n>]

Runs one Apache Kafka broker (KRaft, broker and controller in one process) on 127.0.0.1 until
Ctrl+C. Data is kept in --data-dir (default <cache>/kafka-broker), so topics survive a restart:
start it again with the same folder and the same ports.
  --port             client port (default 9092, what the bridge and the lake writer expect)
  --controller-port  KRaft controller port (default 9093)`;

/**
 * `npm run kafka`: one Kafka broker by hand, through the same launcher tests and the stack
 * use (`startKafka` of packages/testing), on fixed ports with a data folder you name. Prints
 * the bootstrap address and how to run Kafka's own command-line tools from the cached jars
 * (there is no Kafka distribution with `bin/` scripts: the broker is started by class name).
 */
export async function kafka(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: {
      "data-dir": { type: "string" },
      port: { type: "string", default: "9092" },
      "controller-port": { type: "string", default: "9093" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const port = portArg("--port", values.port);
  const controllerPort = portArg("--controller-port", values["controller-port"]);
  const dataDir = resolve(values["data-dir"] ?? join(cacheRoot(), "kafka-broker"));
  mkdirSync(dataDir, { recursive: true });
  // Imported only now: it needs node_modules, which the task runner has just ensured.
  const testing = await import("../../packages/testing/src/index.ts");
  const install = await testing.provisionKafka();
  const cluster = await testing.startKafka({
    dataDir,
    ports: [port],
    controllerPorts: [controllerPort],
    // A long-running broker: full JIT and G1, unlike the short-lived test brokers.
    jvmOptions: ["-Xms256m", "-Xmx1g", "-XX:+UseG1GC"],
  });
  const broker = cluster.brokers[0];
  const tool = `"${install.java}" -cp "${install.classpath}"`;
  process.stdout.write(
    [
      `kafka ${install.version} running`,
      `  bootstrap  ${cluster.bootstrap}`,
      `  data       ${dataDir}`,
      `  log        ${broker?.logFile ?? ""}`,
      "Kafka's tools, from the cached jars:",
      `  ${tool} org.apache.kafka.tools.TopicCommand --bootstrap-server ${cluster.bootstrap} --list`,
      `  ${tool} org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server ${cluster.bootstrap} --topic <topic> --from-beginning`,
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
  await untilSignal();
  process.stdout.write("stopping kafka\n");
  await cluster.stop();
}

function portArg(flag: string, text: string | undefined): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${flag} must be a port number (1-65535), got ${JSON.stringify(text)}\n${usage}`);
  }
  return port;
}

/** Resolves on the first Ctrl+C (or SIGTERM/SIGHUP; SIGBREAK on Windows). */
function untilSignal(): Promise<void> {
  const signals: NodeJS.Signals[] =
    process.platform === "win32" ? ["SIGINT", "SIGBREAK", "SIGHUP"] : ["SIGINT", "SIGTERM", "SIGHUP"];
  return new Promise((resolveSignal) => {
    // The broker's process handles may be unreferenced: keep this process up on purpose.
    const keepAlive = setInterval(() => {}, 1 << 30);
    const onSignal = () => {
      for (const s of signals) process.off(s, onSignal);
      clearInterval(keepAlive);
      resolveSignal();
    };
    for (const s of signals) process.on(s, onSignal);
  });
}
