import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./ports.ts";
import { spawnServer } from "./server-process.ts";
import { tempDir } from "./temp.ts";
import { waitFor } from "./wait.ts";

const execFileAsync = promisify(execFile);

/** A throwaway PostgreSQL cluster on a free 127.0.0.1 port. */
export interface TestPostgres {
  /** libpq DSN of database `lake`. */
  dsn: string;
  port: number;
  /** Stops the server for good. */
  stop(): Promise<void>;
  /** Stops the server but keeps its data and port (an outage); `resume()` starts it again. */
  pause(): Promise<void>;
  /** Starts a paused server again on the same data and port, once it accepts connections. */
  resume(): Promise<void>;
}

/**
 * Finds the PostgreSQL server binaries (Debian's `postgresql` package). When they are
 * missing and we are root, installs the package with apt-get, as the project's
 * provisioning does on a fresh Debian box.
 */
export async function postgresBinDir(): Promise<string> {
  const find = () => {
    const root = "/usr/lib/postgresql";
    if (!existsSync(root)) return undefined;
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    return versions.map((v) => join(root, v, "bin")).find((dir) => existsSync(join(dir, "initdb")));
  };
  let dir = find();
  if (!dir && process.getuid?.() === 0) {
    await execFileAsync("apt-get", ["install", "-y", "--no-install-recommends", "postgresql"], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    dir = find();
  }
  if (!dir) throw new Error("PostgreSQL server binaries not found (install Debian package postgresql)");
  return dir;
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /**
   * Folder of the cluster (its `data` subfolder, socket and log). A cluster already there is
   * started again with its data (initdb and createdb only the first time), and written
   * durably (fsync on). A temp dir (removed at exit, fsync off) when omitted.
   */
  dir?: string;
  /** Port; a free one when omitted. */
  port?: number;
}

/** A folder the `postgres` user (who runs the server when we are root) cannot reach. */
export class PostgresDirError extends Error {
  override name = "PostgresDirError";
}

/**
 * Starts a cluster (trust auth, 127.0.0.1 only) with database `lake`: fresh with initdb, or
 * the one already in `options.dir`. As root the server runs as the `postgres` user, which
 * PostgreSQL requires.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const bin = await postgresBinDir();
  const root = options.dir ?? tempDir("postgres");
  const dataDir = join(root, "data");
  const existing = existsSync(join(dataDir, "PG_VERSION"));
  mkdirSync(dataDir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  const pgUser = asRoot ? await userIds("postgres") : undefined;
  if (pgUser) {
    chownSync(root, pgUser.uid, pgUser.gid);
    chownSync(dataDir, pgUser.uid, pgUser.gid);
  }
  const wrap = (command: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  if (asRoot) {
    // A folder under a private home (/root is 0700) is out of the postgres user's reach.
    const [testCmd, testArgs] = wrap("test", ["-w", root]);
    await execFileAsync(testCmd, testArgs).catch((err: unknown) => {
      throw new PostgresDirError(
        `the postgres user (PostgreSQL refuses to run as root) cannot write ${root}: a parent folder is private`,
        { cause: err },
      );
    });
  }
  if (!existing) {
    const [initCmd, initArgs] = wrap(join(bin, "initdb"), [
      "-D",
      dataDir,
      "-U",
      "lake",
      "--auth=trust",
      "-E",
      "UTF8",
    ]);
    await execFileAsync(initCmd, initArgs, { env: { ...process.env, LC_ALL: "C" } });
  }
  const port = options.port ?? (await freePort());
  const [cmd, args] = wrap(join(bin, "postgres"), [
    "-D",
    dataDir,
    "-p",
    String(port),
    "-k",
    root,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    // A throwaway test cluster need not survive a power cut; a kept one must.
    `fsync=${options.dir === undefined ? "off" : "on"}`,
  ]);
  const launch = () => spawnServer({ command: cmd, args, logFile: join(root, "postgres.log") });
  let server = launch();
  const [readyCmd, readyArgs] = [join(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port)]];
  const ready = () =>
    waitFor(
      async () => {
        await execFileAsync(readyCmd, readyArgs);
        return true;
      },
      {
        what: "postgres ready",
        timeoutMs: 60_000,
        giveUpIf: () => (server.isRunning() ? undefined : server.logTail()),
      },
    );
  await ready();
  if (!existing) {
    await execFileAsync(join(bin, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "lake", "lake"]);
  }
  return {
    port,
    dsn: `host=127.0.0.1 port=${port} dbname=lake user=lake`,
    async stop() {
      await server.stop(10_000);
    },
    async pause() {
      // A fast shutdown (what an outage looks like to clients), through pg_ctl: a signal to
      // the runuser wrapper would leave backends behind that block the next start.
      const [stopCmd, stopArgs] = wrap(join(bin, "pg_ctl"), ["-D", dataDir, "stop", "-m", "fast", "-w"]);
      await execFileAsync(stopCmd, stopArgs);
      await server.exited;
    },
    async resume() {
      server = launch();
      await ready();
    },
  };
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    execFileAsync("id", ["-u", name]),
    execFileAsync("id", ["-g", name]),
  ]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}
