/**
 * One writer process of `lake-commits-bench.ts`: its own DuckDB instance, committing small
 * batches in a loop until a deadline, then one JSON line on stdout.
 *
 * - `lake`: the lake writer's own commit (`createBatchWriter`): the batch's rows staged,
 *   `INSERT … SELECT` into the telemetry table and the partition's offsets row advanced in
 *   one DuckLake transaction, conflicts run again (up to `maxCommitRetries`, as the service).
 * - `postgres`: the raw limit beside it: the same staged rows and an offsets-row update in one
 *   plain PostgreSQL transaction, through DuckDB's postgres extension (the same client
 *   library DuckLake's PostgreSQL catalog uses).
 *
 *   node bench/lake-commits/commit-worker.ts '<WorkerSpec as JSON>'
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { quoteIdent, quoteString } from "@langtian/lake";
import {
  claimPartition,
  createBatchWriter,
  createTableManager,
  type LakeConfig,
  openLake,
  stageRows,
} from "@langtian/lake-writer";
import { telemetryBatch } from "@langtian/lake-writer/testing";
import { provisionDuckdbExtensions } from "@langtian/provision";

/** What the coordinator asks of one writer. */
export interface WorkerSpec {
  mode: "lake" | "postgres";
  lake: LakeConfig;
  /** libpq DSN for `postgres` mode. */
  dsn?: string;
  /** This writer's partition (its own offsets row, as one lake writer per partition). */
  partition: number;
  rowsPerCommit: number;
  /** Epoch ms at which every writer starts committing (so they overlap fully). */
  startAtMs: number;
  durationMs: number;
  maxCommitRetries: number;
}

/** What one writer reports. */
export interface WorkerReport {
  partition: number;
  commits: number;
  rows: number;
  /** Commits run again after a conflict. */
  conflicts: number;
  /** Commits still conflicting after every retry (their batch is not in the lake). */
  failed: number;
  /**
   * Commits DuckLake gave up on after its own retries of catalog id races (its
   * `ducklake_max_retry_count`, an error that is not a conflict): run again, as the lake
   * writer's ingest loop retries a failed batch.
   */
  catalogRetriesExhausted: number;
  /** CPU seconds (user + system) this process used while committing. */
  cpuSeconds: number;
  /** Wall time of each successful commit call (staging + transaction + COMMIT), ms. */
  latenciesMs: number[];
  seconds: number;
  error?: string;
}

const spec = JSON.parse(process.argv[2] ?? "{}") as WorkerSpec;
const source = "kafka:lake-commits-bench";
const key = { source, partition: String(spec.partition) };
const report: WorkerReport = {
  partition: spec.partition,
  commits: 0,
  rows: 0,
  conflicts: 0,
  failed: 0,
  catalogRetriesExhausted: 0,
  cpuSeconds: 0,
  latenciesMs: [],
  seconds: 0,
};

/** DuckLake's own retries of snapshot-id races ran out (many writers starting at once). */
function isRetryExhausted(err: unknown): boolean {
  return /maximum retry count/i.test((err as Error).message);
}

/** Runs `work` again while DuckLake reports its own retries exhausted. */
async function untilCommitted<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await work();
    } catch (err) {
      if (!isRetryExhausted(err)) throw err;
      report.catalogRetriesExhausted++;
    }
  }
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

async function waitForStart(): Promise<void> {
  const wait = spec.startAtMs - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

async function runLake(): Promise<void> {
  const lake = await openLake(spec.lake, await provisionDuckdbExtensions());
  try {
    const connection = await lake.connect();
    const lease = await untilCommitted(() =>
      claimPartition(connection, key, `bench-writer-${spec.partition}`),
    );
    const writer = createBatchWriter({
      connection,
      tables: createTableManager(connection),
      maxCommitRetries: spec.maxCommitRetries,
      onConflict: () => report.conflicts++,
    });
    let position = lease.nextPosition ?? 0n;
    // One routed batch, reused: routing is not what this measures (bench/lake-writer does).
    const tables = telemetryBatch(key, spec.rowsPerCommit, Number(position));
    await waitForStart();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const deadline = started + spec.durationMs;
    while (performance.now() < deadline) {
      const next = position + BigInt(spec.rowsPerCommit);
      const t0 = performance.now();
      try {
        const result = await writer.write({ tables, positions: [{ lease, nextPosition: next }] });
        report.latenciesMs.push(performance.now() - t0);
        report.commits++;
        report.rows += result.rows;
        position = next;
      } catch (err) {
        if (isRetryExhausted(err)) report.catalogRetriesExhausted++;
        else if ((err as Error).name === "CommitConflictError") report.failed++;
        else throw err;
      }
    }
    report.seconds = (performance.now() - started) / 1000;
    report.cpuSeconds = cpuSecondsSince(cpu);
  } finally {
    lake.close();
  }
}

async function runPostgres(): Promise<void> {
  const extensions = await provisionDuckdbExtensions();
  const instance = await DuckDBInstance.create(":memory:", {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
  });
  const connection = await instance.connect();
  try {
    await connection.run(`LOAD ${quoteString(extensions.files.postgres_scanner)}`);
    await connection.run(`ATTACH ${quoteString(spec.dsn ?? "")} AS pg (TYPE postgres)`);
    const [table] = telemetryBatch(key, spec.rowsPerCommit);
    if (!table) throw new Error("no telemetry rows");
    await stageRows(connection, "stage", table);
    const events = `pg.public.${quoteIdent(`raw_events_${spec.partition}`)}`;
    const offsets = `pg.public.${quoteIdent(`raw_offsets_${spec.partition}`)}`;
    await connection.run(`CREATE TABLE ${events} AS FROM temp.main.stage LIMIT 0`);
    await connection.run(`CREATE TABLE ${offsets} (partition_id VARCHAR, next_position BIGINT)`);
    await connection.run(`INSERT INTO ${offsets} VALUES (${quoteString(key.partition)}, 0)`);
    await waitForStart();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const deadline = started + spec.durationMs;
    let position = 0;
    while (performance.now() < deadline) {
      const t0 = performance.now();
      // Staged again each time, as the lake writer stages each batch.
      await stageRows(connection, "stage", table);
      await connection.run("BEGIN TRANSACTION");
      await connection.run(`INSERT INTO ${events} FROM temp.main.stage`);
      position += spec.rowsPerCommit;
      await connection.run(`UPDATE ${offsets} SET next_position = ${position}`);
      await connection.run("COMMIT");
      report.latenciesMs.push(performance.now() - t0);
      report.commits++;
      report.rows += table.rows.length;
    }
    report.seconds = (performance.now() - started) / 1000;
    report.cpuSeconds = cpuSecondsSince(cpu);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

try {
  await (spec.mode === "lake" ? runLake() : runPostgres());
} catch (err) {
  report.error = (err as Error).stack ?? String(err);
}
process.stdout.write(`${JSON.stringify(report)}\n`);
