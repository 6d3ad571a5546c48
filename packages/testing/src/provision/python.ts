import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { cacheRoot } from "../../../../scripts/cache-root.mjs";

const execFileAsync = promisify(execFile);

/** A provisioned Python environment. */
export interface PythonEnv {
  /** Absolute path of the venv's python executable. Run tools as `python -m <module>`. */
  python: string;
}

/** Error thrown when the Python environment cannot be created. */
export class PythonProvisionError extends Error {
  override name = "PythonProvisionError";
}

const requirementsFile = join(dirname(fileURLToPath(import.meta.url)), "python-requirements.txt");
/** How long to wait for another process that holds the install lock before giving up. */
const lockWaitMs = 15 * 60_000;
const lockPollMs = 500;

let pending: Promise<PythonEnv> | undefined;

/**
 * Returns a Python venv with the packages of `python-requirements.txt` (protobuf runtime,
 * grpcio-tools' protoc, ...), installed from the Python package index with pip into
 * `<cacheRoot()>/python/<hash>`. The folder name is the requirements file's hash, so the venv is
 * rebuilt only when that file changes. Installation happens in a temporary folder under a
 * cross-process lock and is renamed into place only after it is verified, so a crash never
 * leaves a half-installed venv that looks ready. The base interpreter is `LANGTIAN_PYTHON`, else
 * `python3` (`python` on Windows); it must be Python 3.9 or newer.
 */
export function provisionPython(): Promise<PythonEnv> {
  pending ??= provision().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function provision(): Promise<PythonEnv> {
  const requirements = await readFile(requirementsFile);
  const hash = createHash("sha256").update(requirements).digest("hex").slice(0, 16);
  const root = join(cacheRoot(), "python");
  const venv = join(root, hash);
  const env = { python: venvPython(venv) };
  if (existsSync(env.python)) return env;

  await mkdir(root, { recursive: true });
  const release = await acquireLock(join(root, `${hash}.lock`));
  try {
    // Another process may have finished the install while we waited for the lock.
    if (existsSync(env.python)) return env;
    const staging = join(root, `${hash}.tmp-${process.pid}`);
    await rm(staging, { recursive: true, force: true });
    await execChecked(basePython(), ["-m", "venv", staging], "create venv");
    const stagingPython = venvPython(staging);
    // Wheels only: a source build of grpcio-tools takes many minutes and needs a C++ toolchain.
    await execChecked(
      stagingPython,
      [
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--require-virtualenv",
        "--only-binary=:all:",
        "-r",
        requirementsFile,
      ],
      "pip install",
    );
    await execChecked(stagingPython, ["-c", "import grpc_tools.protoc, google.protobuf"], "verify venv");
    // Invariant: the final folder exists only when complete. Tools are always run as
    // `python -m ...`, so the absolute paths pip wrote into console scripts do not matter.
    await rename(staging, venv);
    return env;
  } finally {
    await release();
  }
}

function venvPython(venv: string): string {
  return process.platform === "win32" ? join(venv, "Scripts", "python.exe") : join(venv, "bin", "python");
}

function basePython(): string {
  return process.env.LANGTIAN_PYTHON ?? (process.platform === "win32" ? "python" : "python3");
}

async function execChecked(command: string, args: string[], what: string): Promise<void> {
  try {
    await execFileAsync(command, args, { maxBuffer: 64 * 1024 * 1024, windowsHide: true });
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr?.trim().split("\n").slice(-15).join("\n") ?? "";
    throw new PythonProvisionError(`${what} failed (${command} ${args.join(" ")}):\n${detail}`, {
      cause: err,
    });
  }
}

/**
 * A lock file created exclusively; holds the owner's pid so a lock left by a dead process is
 * taken over instead of blocking forever.
 */
async function acquireLock(path: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      await writeFile(path, String(process.pid), { flag: "wx" });
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    if (Number.isInteger(owner) && !isAlive(owner)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new PythonProvisionError(`timed out waiting for ${path} (held by pid ${owner})`);
    }
    await new Promise((resolve) => setTimeout(resolve, lockPollMs));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
