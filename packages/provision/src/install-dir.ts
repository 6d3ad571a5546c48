import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ProvisionError } from "./provision-error.ts";

/** What {@link installDir} needs to know about one cached install. */
export interface InstallDirSpec {
  /** Short label for progress lines, e.g. `nats-server v2.15.2`. */
  label: string;
  /** Final folder; it exists only when complete (it is renamed into place at the end). */
  dir: string;
  /** Fills the (empty, existing) staging folder; throw to abort. */
  build: (stagingDir: string) => Promise<void>;
  /**
   * Build in `dir` itself instead of a staging folder that is renamed: for installs that
   * write their own absolute path into what they install (a Python venv's `bin/pip`,
   * `bin/activate` and console scripts name the venv's interpreter), which a rename breaks.
   * Complete once the marker file {@link INSTALL_COMPLETE_MARKER} exists (written last); a
   * folder without it is a build that died, removed and rebuilt under the lock.
   */
  inPlace?: boolean;
  /**
   * How long to wait for another live process that is installing the same thing before
   * giving up (default 30 min). Raise it for builds that take longer than that when cold.
   */
  lockWaitMs?: number;
}

/** File written last into an in-place install (`inPlace`): its presence means complete. */
export const INSTALL_COMPLETE_MARKER = ".langtian-install-complete";

/** How long to wait for another process that is installing the same thing, by default. */
const defaultLockWaitMs = 30 * 60_000;
const lockPollMs = 500;

/**
 * Installs something into a cache folder exactly once, safely across concurrent processes:
 * an exclusive lock file next to the folder (taken over at once when its owner died, never
 * while the owner lives, however long its build takes), a private
 * staging folder, then an atomic rename into place. Progress and the elapsed time go to
 * stderr, so `npm test` shows why its first run is slow. Returns `dir`.
 */
export async function installDir(spec: InstallDirSpec): Promise<string> {
  const complete = (): boolean =>
    spec.inPlace ? existsSync(join(spec.dir, INSTALL_COMPLETE_MARKER)) : existsSync(spec.dir);
  if (complete()) return spec.dir;
  await mkdir(dirname(spec.dir), { recursive: true });
  const release = await acquireLock(`${spec.dir}.lock`, spec.label, spec.lockWaitMs);
  try {
    // Another process may have finished while we waited for the lock.
    if (complete()) return spec.dir;
    if (spec.inPlace) {
      await buildInPlace(spec);
      return spec.dir;
    }
    const staging = `${spec.dir}.tmp-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    const started = performance.now();
    progress(`${spec.label}: installing into ${spec.dir}`);
    try {
      await withHeartbeat(spec.label, () => spec.build(staging));
      await rename(staging, spec.dir);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
    progress(`${spec.label}: ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return spec.dir;
  } finally {
    await release();
  }
}

/** The `inPlace` variant of {@link installDir}'s build step; the caller holds the lock. */
async function buildInPlace(spec: InstallDirSpec): Promise<void> {
  // Whatever is there is a build that died before its marker: start over.
  await rm(spec.dir, { recursive: true, force: true });
  await mkdir(spec.dir, { recursive: true });
  const started = performance.now();
  progress(`${spec.label}: installing into ${spec.dir}`);
  try {
    await withHeartbeat(spec.label, () => spec.build(spec.dir));
    await writeFile(join(spec.dir, INSTALL_COMPLETE_MARKER), `${new Date().toISOString()}\n`);
  } catch (err) {
    await rm(spec.dir, { recursive: true, force: true });
    throw err;
  }
  progress(`${spec.label}: ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Writes one progress line to stderr. */
export function progress(line: string): void {
  process.stderr.write(`[provision] ${line}\n`);
}

/** How often a {@link Heartbeat} says that long steps are still alive. */
export const HEARTBEAT_MS = 15_000;

/** Says, at an interval, which long steps are still running; see {@link createHeartbeat}. */
export interface Heartbeat {
  /** Runs `work`, named `what` in the heartbeat's lines until it settles. */
  track<T>(what: string, work: () => Promise<T>): Promise<T>;
}

/**
 * A heartbeat for steps that run for minutes with their output captured (a cold Go build, an
 * apt or npm install), where a silent terminal looks hung. Every `intervalMs` while any step
 * runs, one line names them all with their time so far, `still installing: nats-server v2.15.2
 * (45 s), kafka 4.4.0 (44 s)`: installs running side by side share a line instead of each
 * printing its own.
 */
export function createHeartbeat(
  intervalMs: number = HEARTBEAT_MS,
  print: (line: string) => void = progress,
): Heartbeat {
  const running = new Map<symbol, { what: string; startedMs: number }>();
  let timer: NodeJS.Timeout | undefined;
  const beat = () => {
    const now = performance.now();
    const steps = [...running.values()].map(
      ({ what, startedMs }) => `${what} (${Math.round((now - startedMs) / 1000)} s)`,
    );
    print(`still installing: ${steps.join(", ")}`);
  };
  return {
    async track(what, work) {
      const key = Symbol(what);
      running.set(key, { what, startedMs: performance.now() });
      if (timer === undefined) {
        timer = setInterval(beat, intervalMs);
        // A heartbeat alone must not keep a process alive.
        timer.unref();
      }
      try {
        return await work();
      } finally {
        running.delete(key);
        if (running.size === 0) {
          clearInterval(timer);
          timer = undefined;
        }
      }
    },
  };
}

const heartbeat = createHeartbeat();

/** Runs `work` under the process's one {@link Heartbeat} (progress lines on stderr). */
export function withHeartbeat<T>(what: string, work: () => Promise<T>): Promise<T> {
  return heartbeat.track(what, work);
}

/**
 * A lock file created exclusively; it holds the owner's pid so a lock left behind by a
 * dead process is taken over instead of blocking every later run. (The owner's liveness,
 * not the lock's age, decides: an age limit breaks the lock of a live build that is merely
 * slow, and keeps a dead one's for the whole limit.) Resolves to the release function;
 * rejects with a {@link ProvisionError} after `waitMs` of waiting for a live owner. Uses
 * only Node built-ins: `npm test` takes it before node_modules exists.
 */
export async function acquireLock(
  path: string,
  label: string,
  waitMs: number = defaultLockWaitMs,
): Promise<() => Promise<void>> {
  const deadline = Date.now() + waitMs;
  let announced = false;
  let lastSaidMs = 0;
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
    const waitedMs = Date.now() - (deadline - waitMs);
    if (!announced) {
      progress(`${label}: waiting for pid ${owner}, which is installing it`);
      announced = true;
      lastSaidMs = waitedMs;
    } else if (waitedMs - lastSaidMs >= HEARTBEAT_MS) {
      progress(`${label}: still waiting for pid ${owner} (${Math.round(waitedMs / 1000)} s)`);
      lastSaidMs = waitedMs;
    }
    if (Date.now() > deadline)
      throw new ProvisionError(`timed out waiting for ${path} (held by pid ${owner})`);
    await new Promise((resolve) => setTimeout(resolve, lockPollMs));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
