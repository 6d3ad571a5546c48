/**
 * DuckLake commits per second with 1, 2, 4 and 8 concurrent writer processes: the one limit a
 * single lake writer's benchmark cannot show, since every writer of every machine commits to
 * the same catalog. Each writer is its own process with its own DuckDB instance, and commits
 * as the lake writer does (`commit-worker.ts`): a small batch of telemetry rows and its
 * partition's offsets row in one transaction, conflicts run again. Per writer count, a fresh
 * lake (its own PostgreSQL database, or SQLite file, and data folder) and a fixed time.
 * Reports commits/s, rows/s, conflicts, commit latency p50/p99, and what the commits leave
 * behind per 1,000 commits: snapshots, data and delete files, catalog bytes, files on disk.
 *
 * Beside it, in the same run, the raw limits: the same rows and an offsets update in one plain
 * PostgreSQL transaction from as many processes (DuckDB's postgres extension, the client
 * library DuckLake's catalog uses), and pgbench's simple-update transactions (the server alone).
 * PostgreSQL is Debian's, in a fresh cluster with fsync on (as production runs it).
 * `cat /proc/loadavg` is recorded before and after each measurement, and the CPU the writers
 * and the PostgreSQL server used per commit (`/proc`), which a box shared with other work
 * changes far less than the rates. Prints JSON.
 *
 *   node bench/lake-commits/lake-commits-bench.ts [--quick] [--seconds 20] [--writers 1,2,4,8]
 *     [--rows 500] [--catalogs postgres,sqlite] [--no-raw] [--max-retries 10]
 *
 * `--quick`: writers 1,2 for 3 s each, a smoke check of the whole harness.
 */
import { execFile, spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { createTableManager, ensureStateSchema, type LakeConfig, openLake } from "@langtian/lake-writer";
import { telemetryBatch } from "@langtian/lake-writer/testing";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { postgresBinDir, startPostgres, tempDir } from "@langtian/testing";
import { cpuSeconds, descendantsCpuSeconds } from "../src/proc-cpu.ts";
import { writerBenchOptions, writerBenchSettings } from "../src/writer-bench-args.ts";
import type { WorkerReport, WorkerSpec } from "./commit-worker.ts";

const execFileAsync = promisify(execFile);

const { values: args } = parseArgs({
  options: {
    ...writerBenchOptions,
    catalogs: { type: "string", default: "postgres" },
    "no-raw": { type: "boolean", default: false },
    "max-retries": { type: "string", default: "10" },
  },
});
const { seconds, writerCounts, rowsPerCommit } = writerBenchSettings(args, { quick: "1,2", full: "1,2,4,8" });
const maxCommitRetries = Number(args["max-retries"]);
const catalogs = (args.catalogs ?? "postgres").split(",").map((kind) => {
  if (kind !== "postgres" && kind !== "sqlite") throw new Error(`catalog ${kind}: postgres or sqlite`);
  return kind;
});
const workerPath = fileURLToPath(new URL("./commit-worker.ts", import.meta.url));

function loadavg(): string {
  return readFileSync("/proc/loadavg", "utf8").trim();
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** Files (not folders) below `dir`, and their bytes. */
function filesBelow(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  try {
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      files++;
      bytes += statSync(join(entry.parentPath, entry.name)).size;
    }
  } catch {
    // Not created yet.
  }
  return { files, bytes };
}

/** What the catalog and the data folder hold. */
interface Footprint {
  snapshots: number;
  dataFiles: number;
  deleteFiles: number;
  catalogBytes: number;
  filesOnDisk: number;
  bytesOnDisk: number;
  /** PostgreSQL catalog only (`pg_stat_database`): transactions, rollbacks and rows written. */
  catalogTransactions?: number;
  catalogRollbacks?: number;
  catalogRowsWritten?: number;
}

const COUNTS =
  "SELECT (SELECT count(*) FROM ducklake_snapshot), (SELECT count(*) FROM ducklake_data_file), " +
  "(SELECT count(*) FROM ducklake_delete_file)";

async function psql(bin: string, dsn: string, sql: string): Promise<string[]> {
  const { stdout } = await execFileAsync(join(bin, "psql"), [
    "-X",
    "-A",
    "-t",
    "-F",
    "\t",
    "-d",
    dsn,
    "-c",
    sql,
  ]);
  return stdout.trim().split("\t");
}

async function footprint(lake: LakeConfig, bin: string | undefined): Promise<Footprint> {
  let counts: number[];
  let catalogBytes: number;
  if (lake.catalog.kind === "postgres" && bin) {
    // Stats of the writers' sessions reach pg_stat_database when they end; theirs have.
    const row = await psql(
      bin,
      lake.catalog.dsn,
      `${COUNTS}, pg_database_size(current_database()), ` +
        "(SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()), " +
        "(SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()), " +
        "(SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = current_database())",
    );
    counts = row.map(Number);
    catalogBytes = counts[3] ?? 0;
  } else if (lake.catalog.kind === "sqlite") {
    const db = new DatabaseSync(lake.catalog.path, { readOnly: true });
    try {
      const row = db.prepare(COUNTS).get() as Record<string, number>;
      counts = Object.values(row).map(Number);
    } finally {
      db.close();
    }
    catalogBytes = ["", "-wal"].reduce((sum, suffix) => {
      try {
        return sum + statSync(`${lake.catalog.kind === "sqlite" ? lake.catalog.path : ""}${suffix}`).size;
      } catch {
        return sum;
      }
    }, 0);
  } else {
    throw new Error(`no footprint for catalog ${lake.catalog.kind}`);
  }
  const disk = filesBelow(lake.dataPath);
  return {
    snapshots: counts[0] ?? 0,
    dataFiles: counts[1] ?? 0,
    deleteFiles: counts[2] ?? 0,
    catalogBytes,
    filesOnDisk: disk.files,
    bytesOnDisk: disk.bytes,
    ...(lake.catalog.kind === "postgres"
      ? {
          catalogTransactions: counts[4] ?? 0,
          catalogRollbacks: counts[5] ?? 0,
          catalogRowsWritten: counts[6] ?? 0,
        }
      : {}),
  };
}

/**
 * Runs `writers` worker processes to the end and returns their reports. Each commits to `target`
 * (its mode, lake and DSN) on a partition of its own, with this run's rows per commit, duration
 * and retries, from the same start time.
 */
async function runWorkers(target: Pick<WorkerSpec, "mode" | "lake" | "dsn">, writers: number) {
  // Far enough ahead for every process to start, load DuckDB and attach before the clock runs.
  const startAtMs = Date.now() + 4000 + 1500 * writers;
  const workerSpec = (partition: number): WorkerSpec => ({
    ...target,
    partition,
    rowsPerCommit,
    startAtMs,
    durationMs: seconds * 1000,
    maxCommitRetries,
  });
  const reports = await Promise.all(
    Array.from({ length: writers }, (_, partition) => {
      const child = spawn(process.execPath, [workerPath, JSON.stringify(workerSpec(partition))], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
      });
      return new Promise<WorkerReport>((resolve, reject) => {
        child.on("error", reject);
        child.on("exit", (code) => {
          try {
            const report = JSON.parse(out.trim().split("\n").pop() ?? "") as WorkerReport;
            if (report.error) reject(new Error(`writer ${partition}: ${report.error}`));
            else resolve(report);
          } catch (err) {
            reject(new Error(`writer ${partition} exited ${code} without a report: ${out}`, { cause: err }));
          }
        });
      });
    }),
  );
  const latencies = reports.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const commits = reports.reduce((sum, r) => sum + r.commits, 0);
  const rows = reports.reduce((sum, r) => sum + r.rows, 0);
  const wall = Math.max(...reports.map((r) => r.seconds));
  return {
    commits,
    commitsPerSecond: round(commits / wall),
    rowsPerSecond: Math.round(rows / wall),
    conflicts: reports.reduce((sum, r) => sum + r.conflicts, 0),
    failedAfterRetries: reports.reduce((sum, r) => sum + r.failed, 0),
    catalogRetriesExhausted: reports.reduce((sum, r) => sum + r.catalogRetriesExhausted, 0),
    writerCpuMsPerCommit: round(
      (reports.reduce((sum, r) => sum + r.cpuSeconds, 0) / Math.max(1, commits)) * 1000,
      2,
    ),
    latencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
    perWriterCommitsPerSecond: reports.map((r) => round(r.commits / r.seconds)),
    seconds: round(wall, 2),
  };
}

async function createDatabase(bin: string, port: number, name: string): Promise<void> {
  await execFileAsync(join(bin, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "lake", name]);
}

/** A fresh lake, its state schema and telemetry table created (so writers race on neither). */
async function prepareLake(lake: LakeConfig): Promise<void> {
  const open = await openLake(lake, await provisionDuckdbExtensions());
  try {
    const connection = await open.connect();
    await ensureStateSchema(connection);
    const [table] = telemetryBatch({ source: "setup", partition: "0" }, 1);
    if (table) await createTableManager(connection).ensure(table.spec);
  } finally {
    open.close();
  }
}

const root = tempDir("lake-commits");
// Its own temp folder: startPostgres hands it to the postgres user (a subfolder of `root`,
// 0700, would be out of its reach). Given a folder, the cluster runs with fsync on.
const pgDir = tempDir("lake-commits-pg");
const needsPostgres = catalogs.includes("postgres") || !args["no-raw"];
const postgres = needsPostgres ? await startPostgres({ dir: pgDir }) : undefined;

/**
 * CPU seconds the PostgreSQL server used so far: the postmaster, its live children
 * (checkpointer, WAL writer, open backends) and the backends it has reaped (cutime, cstime).
 */
function postgresCpuSeconds(): number {
  const pid = Number(readFileSync(join(pgDir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const reaped = (Number(fields[13]) + Number(fields[14])) / 100;
  return cpuSeconds(pid) + reaped + descendantsCpuSeconds(pid);
}
const bin = needsPostgres ? await postgresBinDir() : undefined;
const dsnOf = (db: string) => `host=127.0.0.1 port=${postgres?.port} dbname=${db} user=lake`;
const runs: unknown[] = [];
const raw: unknown[] = [];
try {
  for (const kind of catalogs) {
    for (const writers of writerCounts) {
      const name = `lake_${kind}_${writers}`;
      let lake: LakeConfig;
      if (kind === "postgres" && postgres && bin) {
        await createDatabase(bin, postgres.port, name);
        lake = {
          catalog: { kind, dsn: dsnOf(name) },
          dataPath: join(root, name, "data"),
          dataInliningRowLimit: 0,
        };
      } else {
        lake = {
          catalog: { kind: "sqlite", path: join(root, name, "catalog.sqlite") },
          dataPath: join(root, name, "data"),
          dataInliningRowLimit: 0,
        };
      }
      await prepareLake(lake);
      const before = await footprint(lake, bin);
      const loadBefore = loadavg();
      const pgCpuBefore = postgres ? postgresCpuSeconds() : 0;
      const result = await runWorkers({ mode: "lake", lake }, writers);
      const pgCpu = postgres ? postgresCpuSeconds() - pgCpuBefore : 0;
      const after = await footprint(lake, bin);
      const per1000 = (field: keyof Footprint) =>
        round((((after[field] ?? 0) - (before[field] ?? 0)) / Math.max(1, result.commits)) * 1000, 0);
      const run = {
        catalog: kind,
        writers,
        ...result,
        ...(kind === "postgres"
          ? { postgresCpuMsPerCommit: round((pgCpu / Math.max(1, result.commits)) * 1000, 2) }
          : {}),
        growthPer1000Commits: {
          snapshots: per1000("snapshots"),
          dataFiles: per1000("dataFiles"),
          deleteFiles: per1000("deleteFiles"),
          catalogBytes: per1000("catalogBytes"),
          filesOnDisk: per1000("filesOnDisk"),
          bytesOnDisk: per1000("bytesOnDisk"),
          ...(kind === "postgres"
            ? {
                catalogTransactions: per1000("catalogTransactions"),
                catalogRollbacks: per1000("catalogRollbacks"),
                catalogRowsWritten: per1000("catalogRowsWritten"),
              }
            : {}),
        },
        footprintAfter: after,
        loadavg: { before: loadBefore, after: loadavg() },
      };
      runs.push(run);
      process.stderr.write(`${JSON.stringify(run)}\n`);
    }
  }
  if (!args["no-raw"] && postgres && bin) {
    for (const writers of writerCounts) {
      const name = `raw_${writers}`;
      await createDatabase(bin, postgres.port, name);
      const loadBefore = loadavg();
      const pgCpuBefore = postgresCpuSeconds();
      const result = await runWorkers(
        {
          mode: "postgres",
          lake: { catalog: { kind: "postgres", dsn: dsnOf(name) }, dataPath: "" },
          dsn: dsnOf(name),
        },
        writers,
      );
      const pgCpu = postgresCpuSeconds() - pgCpuBefore;
      const size = Number((await psql(bin, dsnOf(name), "SELECT pg_database_size(current_database())"))[0]);
      const entry = {
        kind: "postgres-transaction",
        what: `${rowsPerCommit} rows + an offsets update in one plain PostgreSQL transaction (DuckDB postgres extension)`,
        writers,
        ...result,
        postgresCpuMsPerCommit: round((pgCpu / Math.max(1, result.commits)) * 1000, 2),
        databaseBytesAfter: size,
        loadavg: { before: loadBefore, after: loadavg() },
      };
      raw.push(entry);
      process.stderr.write(`${JSON.stringify(entry)}\n`);
    }
    const pgbenchDb = "pgbench";
    await createDatabase(bin, postgres.port, pgbenchDb);
    const pgbench = join(bin, "pgbench");
    const connect = ["-h", "127.0.0.1", "-p", String(postgres.port), "-U", "lake"];
    await execFileAsync(pgbench, [...connect, "-i", "-q", "-s", "1", pgbenchDb]);
    for (const writers of writerCounts) {
      const loadBefore = loadavg();
      const pgCpuBefore = postgresCpuSeconds();
      const { stdout } = await execFileAsync(pgbench, [
        ...connect,
        ...["-n", "-b", "simple-update", "-c", String(writers), "-j", String(writers)],
        ...["-T", String(seconds), pgbenchDb],
      ]);
      const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
      const latency = Number(/latency average = ([\d.]+) ms/.exec(stdout)?.[1] ?? Number.NaN);
      const processed = Number(/processed: (\d+)/.exec(stdout)?.[1] ?? Number.NaN);
      const pgCpu = postgresCpuSeconds() - pgCpuBefore;
      const entry = {
        kind: "pgbench-simple-update",
        what: "pgbench's built-in simple-update transaction (3 statements), the server alone",
        writers,
        transactionsPerSecond: round(tps),
        latencyAverageMs: latency,
        postgresCpuMsPerTransaction: round((pgCpu / processed) * 1000, 3),
        loadavg: { before: loadBefore, after: loadavg() },
      };
      raw.push(entry);
      process.stderr.write(`${JSON.stringify(entry)}\n`);
    }
  }
} finally {
  await postgres?.stop();
}
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: "lake-commits",
      rowsPerCommit,
      secondsPerRun: seconds,
      postgresFsync: true,
      dataPath: "local folder",
      dataInliningRowLimit: 0,
      maxCommitRetries,
      runs,
      raw,
    },
    null,
    2,
  )}\n`,
);
