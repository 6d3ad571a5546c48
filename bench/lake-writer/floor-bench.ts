/**
 * The lake writer's floor: how fast each side runs alone on this box, so the writer's rate
 * can be read against what is possible. Phases, each over the same N encoded telemetry
 * envelopes (~190 bytes) on a 4-partition topic:
 *
 * - `kafkaOnly`: the mandated client (`@platformatic/kafka`) through the writer's own
 *   source (`createKafkaSource`: fetch requests at given positions, record parsing by the
 *   client), all on the main thread, iterating all N records and doing nothing with them.
 * - `kafkaAndRoute`: the source as the writer runs it (fetch and parse on its worker thread)
 *   plus `routeRecord` on every record on the main thread (no staging, no lake).
 * - `lakeOnly`: no Kafka: one batch routed once, then written N / batch times through the
 *   writer's `BatchWriter` (staging + `INSERT … SELECT` + position update + `COMMIT`) into a
 *   fresh DuckLake — the DuckDB side with our staging, without decoding.
 *
 * Each phase reports events/s (wall) and process CPU µs per event (all threads). Prints JSON.
 *
 *   node bench/lake-writer/floor-bench.ts [events=1000000] [batchRows=50000]
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { devicePayloadRegistry } from "@langtian/envelope";
import { startKafka, tempDir, uniqueName } from "@langtian/testing";
import type { Source } from "../../services/lake-writer/src/ingest/source.ts";
import { createKafkaSource } from "../../services/lake-writer/src/kafka/kafka-source.ts";
import { createBatchWriter } from "../../services/lake-writer/src/lake/batch-writer.ts";
import { openLake } from "../../services/lake-writer/src/lake/open-lake.ts";
import { claimPartition, ensureStateSchema } from "../../services/lake-writer/src/lake/partition-ledger.ts";
import { provisionDuckdbExtensions } from "../../services/lake-writer/src/provision/provision-extensions.ts";
import { routeRecord } from "../../services/lake-writer/src/tables/event-tables.ts";
import { createTableManager } from "../../services/lake-writer/src/tables/table-manager.ts";
import {
  createTopic,
  produce,
  telemetryBatch,
  telemetryEvents,
} from "../../services/lake-writer/src/testing/test-events.ts";

const total = Number(process.argv[2] ?? 1_000_000);
const batchRows = Number(process.argv[3] ?? 50_000);
const partitions = 4;

interface Measured {
  eventsPerSecond: number;
  seconds: number;
  cpuMicrosPerEvent: number;
  /** CPU of child processes (the Kafka broker's JVM) per event, µs. */
  brokerCpuMicrosPerEvent: number;
}

/** CPU µs used so far by every descendant process of this one (Linux /proc; 0 elsewhere). */
function descendantsCpuMicros(pid = process.pid): number {
  let micros = 0;
  let children: string[] = [];
  try {
    children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" ").filter(Boolean),
    );
  } catch {
    return 0;
  }
  for (const child of children) {
    try {
      // Fields after the command name: utime and stime are the 12th and 13th (clock ticks, 100/s).
      const stat = readFileSync(`/proc/${child}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      micros += (Number(fields[11]) + Number(fields[12])) * 10_000;
    } catch {
      // The child exited meanwhile.
    }
    micros += descendantsCpuMicros(Number(child));
  }
  return micros;
}

async function measure(work: () => Promise<void>): Promise<Measured> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const brokerCpu = descendantsCpuMicros();
  await work();
  const used = process.cpuUsage(cpu);
  const brokerUsed = descendantsCpuMicros() - brokerCpu;
  const seconds = (performance.now() - started) / 1000;
  return {
    eventsPerSecond: Math.round(total / seconds),
    seconds: Number(seconds.toFixed(2)),
    cpuMicrosPerEvent: Number(((used.user + used.system) / total).toFixed(2)),
    brokerCpuMicrosPerEvent: Number((brokerUsed / total).toFixed(2)),
  };
}

/** Reads all N records through a fresh Kafka source; `each` sees every record. */
async function readAll(
  bootstrap: string,
  topic: string,
  fetchInWorker: boolean,
  each: (value: Uint8Array, i: number) => void,
) {
  const source: Source = createKafkaSource({
    fetchInWorker,
    bootstrap,
    topics: [topic],
    groupId: uniqueName("floor"),
    clientId: "floor",
  });
  const assigned = new Promise<readonly string[]>((resolve, reject) => {
    void source.start({ onAssignment: resolve, onError: reject });
  });
  const ids = await assigned;
  const positions = new Map<string, bigint>();
  for (const id of ids) positions.set(id, await source.initialPosition(id));
  const signal = new AbortController().signal;
  let seen = 0;
  const result = await measure(async () => {
    while (seen < total) {
      const polled = await source.poll(positions, signal);
      for (const record of polled.records) each(record.value, seen++);
      for (const [id, reached] of polled.reached) positions.set(id, reached);
    }
  });
  await source.close();
  return result;
}

const extensions = await provisionDuckdbExtensions();
const kafka = await startKafka();
const phases: Record<string, Measured> = {};
try {
  const topic = uniqueName("bench-floor");
  await createTopic(kafka.bootstrap, topic, partitions);
  await produce(kafka.bootstrap, topic, telemetryEvents(total));

  phases.kafkaOnly = await readAll(kafka.bootstrap, topic, false, () => undefined);
  let routed = 0;
  phases.kafkaAndRoute = await readAll(kafka.bootstrap, topic, true, (value, i) => {
    const origin = { source: "kafka:floor", partition: "0", position: BigInt(i) };
    if (routeRecord(value, origin, devicePayloadRegistry).kind === "row") routed++;
  });
  if (routed !== total) throw new Error(`routed ${routed} of ${total}`);

  const dir = tempDir("bench-floor-lake");
  const lake = await openLake(
    { catalog: { kind: "duckdb", path: join(dir, "catalog.ducklake") }, dataPath: join(dir, "data") },
    extensions,
  );
  const connection = await lake.connect();
  await ensureStateSchema(connection);
  const key = { source: "kafka:floor", partition: "0" };
  const lease = await claimPartition(connection, key, "floor");
  const tables = telemetryBatch(key, batchRows);
  const writer = createBatchWriter({
    connection,
    tables: createTableManager(connection),
    maxCommitRetries: 3,
  });
  await writer.write({ tables, positions: [{ lease, nextPosition: 0n }] });
  phases.lakeOnly = await measure(async () => {
    for (let written = 0; written < total; written += batchRows) {
      await writer.write({ tables, positions: [{ lease, nextPosition: BigInt(written + batchRows) }] });
    }
  });
  lake.close();
} finally {
  await kafka.stop();
}
process.stdout.write(
  `${JSON.stringify({ benchmark: "lake-writer-floor", events: total, partitions, batchRows, phases }, null, 2)}\n`,
);
