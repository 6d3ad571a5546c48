/**
 * The Iceberg experiment behind docs/ADR-iceberg.md: small appends per second into an Apache
 * Iceberg table (pyiceberg's SqlCatalog on SQLite) beside DuckLake commits of the same batches
 * (SQLite and PostgreSQL catalogs), each with the writer's offset in the same commit; the
 * metadata each leaves per 1,000 commits; and the Iceberg table read back through DuckDB's
 * `iceberg` extension (`iceberg_scan`), beside the same queries on the DuckLake table.
 *
 * The Python side is `iceberg_bench.py`, in a venv of its own built from `requirements.txt`
 * (pyiceberg, pyarrow, DuckDB 1.5.5 and its iceberg and avro extension packages) under the
 * per-user cache, from the repo's provisioned Python. DuckLake's extension files are the
 * provisioned ones; PostgreSQL is Debian's, a fresh cluster with fsync on. Prints JSON.
 *
 *   node bench/iceberg/iceberg-bench.ts [--quick] [--seconds 20] [--writers 1,2] [--rows 500]
 *     [--formats iceberg,ducklake-sqlite,ducklake-postgres]
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { cacheRoot, provisionDuckdbExtensions, runTool } from "@langtian/provision";
import { postgresBinDir, provisionPython, startPostgres, tempDir } from "@langtian/testing";
import { writerBenchOptions, writerBenchSettings } from "../src/writer-bench-args.ts";

const execFileAsync = promisify(execFile);

const { values: args } = parseArgs({
  options: {
    ...writerBenchOptions,
    formats: { type: "string", default: "iceberg,ducklake-sqlite,ducklake-postgres" },
  },
});
const { seconds, writerCounts, rowsPerCommit } = writerBenchSettings(args, { quick: "1", full: "1,2" });
const here = fileURLToPath(new URL(".", import.meta.url));

/** The experiment's venv, named after its requirements' hash and built once. */
async function experimentPython(): Promise<string> {
  const requirements = join(here, "requirements.txt");
  const hash = createHash("sha256").update(readFileSync(requirements)).digest("hex").slice(0, 16);
  const venv = join(cacheRoot(), "bench-iceberg", hash);
  const python = join(venv, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
  const done = join(venv, ".complete");
  if (!existsSync(done)) {
    const base = (await provisionPython()).python;
    process.stderr.write(`building the Iceberg experiment's venv in ${venv}\n`);
    await runTool(base, ["-m", "venv", "--clear", venv]);
    await runTool(python, ["-m", "pip", "install", "--no-input", "--only-binary=:all:", "-r", requirements], {
      downloadsFrom: "the Python package index",
    });
    writeFileSync(done, "");
  }
  return python;
}

/** The iceberg and avro extension files the venv's `duckdb-extension-*` packages carry. */
async function packagedExtensions(python: string): Promise<Record<string, string>> {
  const { stdout } = await execFileAsync(python, [
    "-c",
    "import glob, json, os, duckdb_extension_iceberg as i, duckdb_extension_avro as a\n" +
      "find = lambda m, n: glob.glob(os.path.join(os.path.dirname(m.__file__), 'extensions', '*', f'{n}.duckdb_extension'))[0]\n" +
      "print(json.dumps({'iceberg': find(i, 'iceberg'), 'avro': find(a, 'avro')}))",
  ]);
  return JSON.parse(stdout) as Record<string, string>;
}

const python = await experimentPython();
const duckdb = await provisionDuckdbExtensions();
const extensions = {
  ...(await packagedExtensions(python)),
  ducklake: duckdb.files.ducklake,
  sqlite_scanner: duckdb.files.sqlite_scanner,
  postgres_scanner: duckdb.files.postgres_scanner,
};
const formats = (args.formats ?? "").split(",");
const usesPostgres = formats.includes("ducklake-postgres");
const postgres = usesPostgres ? await startPostgres({ dir: tempDir("iceberg-bench-pg") }) : undefined;
try {
  if (postgres) {
    const bin = await postgresBinDir();
    for (const count of writerCounts) {
      await execFileAsync(join(bin, "createdb"), [
        ...["-h", "127.0.0.1", "-p", String(postgres.port), "-U", "lake"],
        `ducklake_postgres_${count}`,
      ]);
    }
  }
  const { stdout } = await execFileAsync(
    python,
    [
      join(here, "iceberg_bench.py"),
      ...["--dir", tempDir("iceberg-bench")],
      ...["--seconds", String(seconds), "--writers", writerCounts.join(","), "--rows", String(rowsPerCommit)],
      ...["--formats", formats.join(",")],
      ...["--extensions", JSON.stringify(extensions)],
      ...(postgres ? ["--dsn", `host=127.0.0.1 port=${postgres.port} dbname={name} user=lake`] : []),
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const result = JSON.parse(stdout) as Record<string, unknown>;
  const versions = await execFileAsync(python, [
    "-c",
    "import json, duckdb, pyiceberg, pyarrow; print(json.dumps({'duckdb': duckdb.__version__, 'pyiceberg': pyiceberg.__version__, 'pyarrow': pyarrow.__version__}))",
  ]);
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: "iceberg-vs-ducklake",
        versions: JSON.parse(versions.stdout),
        postgresFsync: true,
        ...result,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await postgres?.stop();
}
