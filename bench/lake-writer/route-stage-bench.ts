/**
 * Per-event cost of the lake writer's JavaScript hot path without Kafka or a lake: routing
 * (envelope decode, validation, payload decode, row building) and staging (DuckDB appender
 * data chunks), as process CPU µs per event, min and median over several rounds — CPU time,
 * not wall time, so other work on the box disturbs it less. Prints JSON.
 *
 *   node bench/lake-writer/route-stage-bench.ts [events=100000] [rounds=7]
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { devicePayloadRegistry } from "@langtian/envelope";
import { type CellValue, routeRecord, stageRows, type TableSpec } from "@langtian/lake-writer";
import { telemetryEvents } from "@langtian/lake-writer/testing";

const total = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 7);

/** CPU µs per event spent in `work`. */
async function cpuMicrosPerEvent(work: () => unknown): Promise<number> {
  const started = process.cpuUsage();
  await work();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / total;
}

function summary(samples: number[]): { min: number; median: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number | undefined) => Number((n ?? 0).toFixed(2));
  return { min: round(sorted[0]), median: round(sorted[Math.floor(sorted.length / 2)]) };
}

const events = telemetryEvents(total);
const instance = await DuckDBInstance.create(":memory:");
const connection = await instance.connect();
const route: number[] = [];
const stage: number[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    const rows: CellValue[][] = [];
    let spec: TableSpec | undefined;
    route.push(
      await cpuMicrosPerEvent(() => {
        for (const [i, event] of events.entries()) {
          const origin = { source: "kafka:bench", partition: "0", position: BigInt(i) };
          const routed = routeRecord(event.value, origin, devicePayloadRegistry);
          if (routed.kind !== "row") throw new Error(`event ${i} was dead-lettered`);
          spec ??= routed.spec;
          rows.push(routed.row);
        }
      }),
    );
    const table = spec;
    if (!table) throw new Error("no rows routed");
    stage.push(await cpuMicrosPerEvent(() => stageRows(connection, "staged", { spec: table, rows })));
  }
} finally {
  connection.closeSync();
  instance.closeSync();
}
process.stdout.write(
  `${JSON.stringify({ benchmark: "lake-writer-route-stage", events: total, rounds, cpuMicrosPerEvent: { route: summary(route), stage: summary(stage) } })}\n`,
);
