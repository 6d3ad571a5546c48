import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type KafkaInstall, provisionKafka, runTool } from "@langtian/provision";
import { Admin } from "@platformatic/kafka";
import { freePorts } from "./ports.ts";
import type { ServerProcess } from "./server-process.ts";
import { ServerStartError, startUntilReady } from "./start-until-ready.ts";
import { tempDir } from "./temp.ts";

/** Options for {@link startKafka}. */
export interface StartKafkaOptions {
  /** 1 (default) or 3 combined broker+controller nodes. */
  brokers?: 1 | 3;
  /** Folder with one subfolder per node; a temp dir (removed at exit) when omitted. */
  dataDir?: string;
  /** Client ports, one per broker; free ones when omitted. */
  ports?: number[];
  /** Controller (KRaft quorum) ports, one per broker; free ones when omitted. */
  controllerPorts?: number[];
  /** JVM flags; defaults favour fast startup and low CPU over peak throughput. */
  jvmOptions?: string[];
  /** Extra `server.properties` entries (override the generated ones). */
  properties?: Record<string, string>;
  readyTimeoutMs?: number;
}

/** One broker of a {@link KafkaCluster}. */
export interface KafkaBroker {
  readonly nodeId: number;
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  isRunning(): boolean;
}

/** A running Kafka (KRaft, combined broker+controller nodes). */
export interface KafkaCluster {
  /** Comma-separated `host:port` list of every broker. */
  readonly bootstrap: string;
  readonly brokers: KafkaBroker[];
  /** Stops every broker. */
  stop(): Promise<void>;
  /** Stops broker `i` (0-based) gracefully (controlled shutdown). */
  stopBroker(i: number): Promise<void>;
  /** Kills broker `i` (0-based) without warning, as a crash would. */
  killBroker(i: number): Promise<void>;
  /** Starts broker `i` again with its data; resolves when the cluster sees it. */
  startBroker(i: number): Promise<void>;
}

/**
 * JVM defaults for tests: a small heap, the serial collector and C1 only. The box has two
 * cores shared with other work, and test brokers live seconds, not hours.
 */
export const testJvmOptions = ["-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"];

const defaultReadyTimeoutMs = 120_000;

/**
 * Starts Kafka in KRaft mode on 127.0.0.1 (each node is broker and controller, static voters),
 * formats storage first, and waits until a metadata request lists every broker.
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaCluster> {
  const install = await provisionKafka();
  const count = options.brokers ?? 1;
  for (let attempt = 1; ; attempt++) {
    // A retry on other ports gets a fresh temp dir: the old one was formatted for the old ports.
    const root = options.dataDir ?? tempDir("kafka");
    const clientPorts = options.ports ?? (await freePorts(count));
    const controllerPorts = options.controllerPorts ?? (await freePorts(count));
    const nodes = createNodes(install, root, clientPorts, controllerPorts, options);
    try {
      await Promise.all(nodes.map((n) => n.format()));
      // Started together: no node is ready before the controller quorum has a leader.
      await Promise.all(nodes.map((n) => n.start()));
      await waitForBrokers(nodes, count, options.readyTimeoutMs ?? defaultReadyTimeoutMs);
      return cluster(nodes);
    } catch (err) {
      await Promise.all(nodes.map((n) => n.kill()));
      const chosePorts = options.ports !== undefined || options.controllerPorts !== undefined;
      const retry = err instanceof ServerStartError && err.portInUse && !chosePorts && attempt < 3;
      if (!retry) throw err;
    }
  }
}

interface KafkaNode extends KafkaBroker {
  format(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  logTail(): string;
}

function cluster(nodes: KafkaNode[]): KafkaCluster {
  const at = (i: number): KafkaNode => {
    const node = nodes[i];
    if (!node) throw new RangeError(`no broker ${i}; this cluster has ${nodes.length}`);
    return node;
  };
  return {
    bootstrap: nodes.map((n) => n.address).join(","),
    brokers: nodes,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
    stopBroker: (i) => at(i).stop(),
    killBroker: (i) => at(i).kill(),
    startBroker: async (i) => {
      const node = at(i);
      await node.start();
      const running = nodes.filter((n) => n.isRunning());
      await waitForBrokers(running, running.length, defaultReadyTimeoutMs);
    },
  };
}

function createNodes(
  install: KafkaInstall,
  root: string,
  clientPorts: number[],
  controllerPorts: number[],
  options: StartKafkaOptions,
): KafkaNode[] {
  const count = clientPorts.length;
  const voters = controllerPorts.map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(",");
  const clusterId = newClusterId();
  return clientPorts.map((port, i) => {
    const nodeId = i + 1;
    if (controllerPorts[i] === undefined) throw new RangeError("need one controller port per broker");
    const dataDir = join(root, `broker-${nodeId}`);
    mkdirSync(dataDir, { recursive: true });
    const propertiesFile = join(dataDir, "server.properties");
    const log4jFile = join(dataDir, "log4j2.properties");
    const logFile = join(dataDir, "kafka.log");
    const minIsr = String(Math.min(2, count));
    const properties: Record<string, string> = {
      "process.roles": "broker,controller",
      "node.id": String(nodeId),
      "controller.quorum.voters": voters,
      listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPorts[i]}`,
      "advertised.listeners": `PLAINTEXT://127.0.0.1:${port}`,
      "inter.broker.listener.name": "PLAINTEXT",
      "controller.listener.names": "CONTROLLER",
      "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "log.dirs": join(dataDir, "data"),
      "num.partitions": "1",
      "default.replication.factor": String(count),
      "min.insync.replicas": minIsr,
      "auto.create.topics.enable": "true",
      // Internal topics must fit the broker count, and few partitions create fast.
      "offsets.topic.replication.factor": String(count),
      "offsets.topic.num.partitions": "5",
      "transaction.state.log.replication.factor": String(count),
      "transaction.state.log.min.isr": minIsr,
      "transaction.state.log.num.partitions": "5",
      "share.coordinator.state.topic.replication.factor": String(count),
      "share.coordinator.state.topic.min.isr": minIsr,
      // Tests join groups one member at a time; waiting 3 s for more members only slows them.
      "group.initial.rebalance.delay.ms": "0",
      "num.network.threads": "2",
      "num.io.threads": "2",
      "background.threads": "2",
      ...options.properties,
    };
    writeFileSync(
      propertiesFile,
      `${Object.entries(properties)
        .map(([k, v]) => `${k}=${v.replaceAll("\\", "\\\\")}`)
        .join("\n")}\n`,
    );
    writeFileSync(log4jFile, log4jConfig());
    const javaArgs = [
      ...(options.jvmOptions ?? testJvmOptions),
      "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${log4jFile}`,
      "-cp",
      install.classpath,
    ];
    let proc: ServerProcess | undefined;
    const address = `127.0.0.1:${port}`;
    const node: KafkaNode = {
      nodeId,
      address,
      port,
      dataDir,
      logFile,
      isRunning: () => proc?.isRunning() ?? false,
      format: async () => {
        if (existsSync(join(dataDir, "data", "meta.properties"))) return;
        await runTool(install.java, [
          ...javaArgs,
          "kafka.tools.StorageTool",
          "format",
          "--cluster-id",
          clusterId,
          "--config",
          propertiesFile,
        ]);
      },
      start: async () => {
        if (proc?.isRunning()) return;
        proc = await startUntilReady({
          what: `kafka broker ${nodeId} on port ${port}`,
          spec: {
            command: install.java,
            args: [...javaArgs, "kafka.Kafka", propertiesFile],
            logFile,
            cwd: dataDir,
          },
          // The process only has to answer here; the cluster-wide check follows.
          ready: () => answersMetadata(address),
          timeoutMs: options.readyTimeoutMs ?? defaultReadyTimeoutMs,
        });
      },
      stop: async () => {
        await proc?.stop(20_000);
      },
      kill: async () => {
        await proc?.kill();
      },
      logTail: () => proc?.logTail() ?? "(not started)",
    };
    return node;
  });
}

/** Logs warnings, plus the broker lifecycle lines, to stdout (which goes to the node's log file). */
function log4jConfig(): string {
  return [
    "status = warn",
    "appender.out.type = Console",
    "appender.out.name = out",
    "appender.out.layout.type = PatternLayout",
    "appender.out.layout.pattern = [%d] %p %m (%c)%n",
    "rootLogger.level = WARN",
    "rootLogger.appenderRef.out.ref = out",
    "logger.server.name = kafka.server.KafkaRaftServer",
    "logger.server.level = INFO",
    "logger.broker.name = kafka.server.BrokerServer",
    "logger.broker.level = INFO",
    "",
  ].join("\n");
}

async function answersMetadata(address: string): Promise<boolean> {
  return (await brokerCount(address)) > 0;
}

/** Number of brokers the cluster reports through `address`. */
async function brokerCount(address: string): Promise<number> {
  const admin = new Admin({
    clientId: "langtian-testing-probe",
    bootstrapBrokers: [address],
    retries: 0,
    timeout: 2_000,
  });
  try {
    const metadata = await admin.metadata({ topics: [], forceUpdate: true });
    return metadata.brokers.size;
  } finally {
    await admin.close();
  }
}

/** Waits until every node reports `expected` brokers. */
async function waitForBrokers(nodes: KafkaNode[], expected: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const node of nodes) {
    for (;;) {
      const seen = await brokerCount(node.address).catch(() => -1);
      if (seen === expected) break;
      if (Date.now() > deadline) {
        throw new ServerStartError(
          `kafka broker ${node.nodeId} sees ${seen} of ${expected} brokers after ${timeoutMs} ms\n` +
            `--- ${node.logFile} (tail) ---\n${node.logTail()}`,
          false,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * A random Kafka cluster id (16 bytes, base64url, as Kafka's own `Uuid`). One that starts
 * with "-" is drawn again: the storage tool's argument parser would read it as an option.
 */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}
