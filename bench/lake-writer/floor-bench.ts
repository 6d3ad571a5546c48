import { devicePayloadRegistry } from "@langtian/envelope";
import {
  claimPartition,
  createBatchWriter,
  createKafkaSource,
  createTableManager,
  ensureStateSchema,
  routeRecord,
  type Source,
} from "@langtian/lake-writer";
import {
  createTopic,
  openTestLake,
  produce,
  telemetryBatch,
  telemetryEvents,
} from "@langtian/lake-writer/testing";
import { startKafka, uniqueName } from "@langtian/testing";
import { descendantsCpuSeconds } from "../src/proc-cpu.ts";

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

async function measure(work: () => Promise<void>): Promise<Measured> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const brokerCpu = descendantsCpuSeconds();
  await work();
  const used = process.cpuUsage(cpu);
  const brokerUsed = (descendantsCpuSeconds() - brokerCpu) * 1e6;
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

  const test = await openTestLake();
  const { lake } = test;
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
  await test.dispose();
} finally {
  await kafka.stop();
}
process.stdout.write(
  `${JSON.stringify({ benchmark: "lake-writer-floor", events: total, partitions, batchRows, phases }, null, 2)}\n`,
);
