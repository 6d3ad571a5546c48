import { mkdirSync, realpathSync } from "node:fs";
import { resolve, sep } from "node:path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { ErrorCode, LangtianError } from "@langtian/errors";
import { attachLake, type LakeConfig, quoteString } from "@langtian/lake";
import type { DuckdbExtensions } from "@langtian/provision";

/** Resource limits of the query API's DuckDB. */
export interface SandboxSettings {
  /** The one folder besides the lake's data that DuckDB may touch. */
  readonly tempDir: string;
  readonly threads: number;
  /** e.g. `1GB`. */
  readonly memoryLimit: string;
  /** e.g. `4GB`. */
  readonly maxTempSize: string;
}

/** The query API's DuckDB with the lake attached read-only and everything else shut. */
export interface ConfinedLake {
  /** A new connection (one per concurrently running statement). */
  connect(): Promise<DuckDBConnection>;
  /** Folders DuckDB may read: the lake's data path and the temp folder, with trailing separators. */
  readonly allowedDirectories: readonly string[];
  /** The temp folder (exports stream from files written here). */
  readonly tempDir: string;
  close(): void;
}

/** The sandbox could not be set up, or DuckDB does not report the settings it must. */
export class ConfinementError extends LangtianError {
  override readonly name = "ConfinementError";
  override readonly code = ErrorCode.failedPrecondition;
}

/**
 * Opens the query API's own DuckDB: extensions loaded and the lake attached `READ_ONLY`
 * first, then locked down — file access only below the lake's data path and the temp folder,
 * no external access, no extension loading or installing, no community or unsigned
 * extensions, thread/memory/temp limits, and the configuration locked so no statement can
 * loosen it. The effective settings are read back from `duckdb_settings()`: any that differs
 * refuses the start with a {@link ConfinementError}.
 */
export async function openConfinedLake(
  lake: LakeConfig,
  extensions: DuckdbExtensions,
  sandbox: SandboxSettings,
): Promise<ConfinedLake> {
  mkdirSync(sandbox.tempDir, { recursive: true });
  const tempDir = withSeparator(realpathSync(sandbox.tempDir));
  // The real path: a data path reached through a symlink must still match what DuckDB opens.
  const dataDir = lake.dataPath.startsWith("s3://")
    ? lake.dataPath
    : withSeparator(realpathOrResolve(lake.dataPath));
  const allowedDirectories = [dataDir, tempDir];
  // Outside every allowed folder, so `INSTALL` is refused before it downloads anything: with
  // the extension folder inside the temp folder, DuckDB fetched the extension over the network
  // (and would have written it there) although external access was off. `LOAD` is refused
  // either way once external access is off.
  const extensionDirectory = `${tempDir.slice(0, -sep.length)}.no-extensions${sep}`;
  const instance = await DuckDBInstance.create(":memory:", {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
    allow_community_extensions: "false",
    allow_unsigned_extensions: "false",
    extension_directory: extensionDirectory,
    threads: String(sandbox.threads),
    memory_limit: sandbox.memoryLimit,
    temp_directory: tempDir,
    max_temp_directory_size: sandbox.maxTempSize,
  });
  const setup = await DuckDBConnection.create(instance);
  try {
    await attachLake(setup, lake, extensions, { readOnly: true });
    // ICU is built in; loaded explicitly (autoload is off) so time zones and time_bucket on
    // TIMESTAMPTZ behave the same on every machine: UTC, whatever the host's zone.
    await setup.run("LOAD icu");
    await setup.run("SET TimeZone = 'UTC'");
    // Order matters: allowed_directories only has effect once external access is off, and
    // external access can only be turned off (one-way); the lock comes last.
    await setup.run(`SET allowed_directories = [${allowedDirectories.map(quoteString).join(", ")}]`);
    await setup.run("SET enable_external_access = false");
    await setup.run("SET lock_configuration = true");
    await verifySettings(setup, allowedDirectories, sandbox.threads, extensionDirectory);
  } catch (err) {
    setup.closeSync();
    instance.closeSync();
    throw err;
  }
  setup.closeSync();
  const connections = new Set<DuckDBConnection>();
  return {
    allowedDirectories,
    tempDir,
    async connect() {
      const connection = await DuckDBConnection.create(instance);
      connections.add(connection);
      return connection;
    },
    close() {
      for (const c of connections) c.closeSync();
      connections.clear();
      instance.closeSync();
    },
  };
}

/** What `duckdb_settings()` must say once the sandbox is locked. */
function expectedSettings(
  allowedDirectories: readonly string[],
  threads: number,
  extensionDirectory: string,
): Record<string, string> {
  return {
    extension_directory: extensionDirectory,
    enable_external_access: "false",
    lock_configuration: "true",
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
    allow_community_extensions: "false",
    allow_unsigned_extensions: "false",
    threads: String(threads),
    // DuckDB reports the list sorted, whatever order it was set in.
    allowed_directories: `[${[...allowedDirectories].sort().join(", ")}]`,
  };
}

async function verifySettings(
  connection: DuckDBConnection,
  allowedDirectories: readonly string[],
  threads: number,
  extensionDirectory: string,
): Promise<void> {
  const expected = expectedSettings(allowedDirectories, threads, extensionDirectory);
  const names = Object.keys(expected).map(quoteString).join(", ");
  const reader = await connection.runAndReadAll(
    `SELECT name, value FROM duckdb_settings() WHERE name IN (${names})`,
  );
  const actual = new Map(
    reader.getRows().map(([name, value]) => [
      String(name),
      // DuckDB quotes list items with characters such as ':' (an s3:// data path): compare bare.
      name === "allowed_directories" ? String(value).replace(/'([^']*)'/g, "$1") : String(value),
    ]),
  );
  const wrong = Object.entries(expected)
    .filter(([name, value]) => actual.get(name) !== value)
    .map(([name, value]) => `${name} is ${actual.get(name) ?? "missing"}, must be ${value}`);
  if (wrong.length > 0) throw new ConfinementError(`DuckDB is not confined: ${wrong.join("; ")}`);
}

function withSeparator(path: string): string {
  return path.endsWith(sep) ? path : path + sep;
}

/** The real path of a folder that exists, else its absolute path (a lake not written yet). */
function realpathOrResolve(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
