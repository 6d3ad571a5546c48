/**
 * Time from SIGKILL of a lake writer process (its real main.ts) to its restarted successor
 * answering /readyz 200 and owning every partition again, with dynamic group membership
 * (`kafka.staticMembership=false`) and with the default static membership (id derived from
 * host name and port). Real Kafka (one broker, started here), default session timeout.
 *
 *   node bench/lake-writer/restart-readiness-bench.ts [rounds] [partitions]
 *
 * Prints one JSON object: per mode, the seconds of each round and their median.
 */
import { join } from "node:path";
import { createTopic, produce, telemetryEvents } from "@langtian/lake-writer/testing";
import { provisionDuckdbExtensions } from "@langtian/provision";
import {
  freePort,
  type ServerProcess,
  spawnServer,
  startKafka,
  tempDir,
  uniqueName,
  waitFor,
} from "@langtian/testing";

const rounds = Number(process.argv[2] ?? 3);
const partitions = Number(process.argv[3] ?? 3);
const mainFile = join(import.meta.dirname, "..", "..", "services", "lake-writer", "src", "main.ts");

/** Sum of a `langtian_lake_writer_<name>` metric, or undefined while the writer does not answer. */
async function metric(url: string, name: string): Promise<number | undefined> {
  const res = await fetch(`${url}/metrics`).catch(() => undefined);
  if (res === undefined) return undefined;
  let sum = 0;
  for (const line of (await res.text()).split("\n")) {
    if (line.startsWith(`langtian_lake_writer_${name}`)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

async function ready(url: string): Promise<boolean> {
  const res = await fetch(`${url}/readyz`).catch(() => undefined);
  return res?.status === 200;
}

function start(env: NodeJS.ProcessEnv): ServerProcess {
  return spawnServer({
    command: process.execPath,
    args: [mainFile],
    env: { ...process.env, ...env },
    logFile: join(tempDir("restart-bench"), "lake-writer.log"),
  });
}

/** Waits until the writer at `url` is ready and owns every partition; returns the seconds since `fromMs`. */
async function untilServing(
  url: string,
  child: ServerProcess,
  fromMs: number,
): Promise<{ readyS: number; ownedS: number }> {
  let readyS: number | undefined;
  await waitFor(
    async () => {
      if (readyS === undefined && (await ready(url))) readyS = (performance.now() - fromMs) / 1000;
      const owned = await metric(url, "owned_partitions");
      return readyS !== undefined && owned === partitions ? true : undefined;
    },
    {
      what: "the writer ready and owning every partition",
      timeoutMs: 180_000,
      intervalMs: 50,
      giveUpIf: () => (child.isRunning() ? undefined : `it exited:\n${child.logTail(20)}`),
    },
  );
  return {
    readyS: Number((readyS ?? 0).toFixed(2)),
    ownedS: Number(((performance.now() - fromMs) / 1000).toFixed(2)),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

// The writer reads its DuckDB extension files and never fetches them: provision first.
await provisionDuckdbExtensions();
const kafka = await startKafka();
try {
  const result: Record<string, unknown> = { rounds, partitions, sessionTimeoutMs: 20_000 };
  for (const mode of ["dynamic", "static"] as const) {
    const topic = uniqueName(`restart-${mode}`);
    await createTopic(kafka.bootstrap, topic, partitions);
    await produce(kafka.bootstrap, topic, telemetryEvents(1000));
    const dir = tempDir(`restart-${mode}`);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      LANGTIAN_LAKE_WRITER_PORT: String(port),
      LANGTIAN_LAKE_WRITER_LOG_LEVEL: "warn",
      LANGTIAN_LAKE_WRITER_LAKE_CATALOG_PATH: join(dir, "catalog.sqlite"),
      LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: join(dir, "data"),
      LANGTIAN_LAKE_WRITER_KAFKA_BOOTSTRAP: kafka.bootstrap,
      LANGTIAN_LAKE_WRITER_KAFKA_TOPICS: topic,
      LANGTIAN_LAKE_WRITER_KAFKA_GROUP_ID: uniqueName(`restart-${mode}-group`),
      LANGTIAN_LAKE_WRITER_KAFKA_STATIC_MEMBERSHIP: String(mode === "static"),
      LANGTIAN_LAKE_WRITER_MAINTENANCE_INTERVAL_MS: "0",
    };
    let child = start(env);
    await untilServing(url, child, performance.now());
    const readyS: number[] = [];
    const ownedS: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const killedAt = performance.now();
      await child.kill();
      child = start(env);
      const took = await untilServing(url, child, killedAt);
      readyS.push(took.readyS);
      ownedS.push(took.ownedS);
    }
    await child.stop(30_000);
    result[mode] = { readyS, ownedS, medianReadyS: median(readyS), medianOwnedS: median(ownedS) };
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await kafka.stop();
}
