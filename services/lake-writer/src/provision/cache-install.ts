import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";

/** Options of {@link installOnce}. */
export interface InstallOnceOptions {
  /** Final folder; it exists only when the install completed. */
  targetDir: string;
  /** Fills `stagingDir` (a fresh empty folder next to the target) with the installed files. */
  build: (stagingDir: string) => Promise<void>;
  /** A lock older than this is considered abandoned by a crashed process. Default 30 min. */
  staleLockMs?: number;
}

/**
 * Installs something into the per-user cache exactly once, safely under concurrent runs:
 * an exclusive lock file serialises installers, the work happens in a staging folder and
 * an atomic rename publishes it, so readers never see a half-written install.
 * Returns immediately when the target folder already exists.
 */
export async function installOnce(options: InstallOnceOptions): Promise<string> {
  const { targetDir, build } = options;
  if (await exists(targetDir)) return targetDir;
  await mkdir(dirname(targetDir), { recursive: true });
  const lockPath = `${targetDir}.lock`;
  const release = await acquireLock(lockPath, options.staleLockMs ?? 30 * 60_000);
  try {
    if (await exists(targetDir)) return targetDir;
    const staging = `${targetDir}.tmp-${process.pid}-${Date.now()}`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    try {
      await build(staging);
      await rename(staging, targetDir);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return targetDir;
  } finally {
    await release();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function acquireLock(lockPath: string, staleLockMs: number): Promise<() => Promise<void>> {
  for (;;) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      // Another process installs right now; a lock left by a crashed run is broken after a while.
      const info = await stat(lockPath).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > staleLockMs) await rm(lockPath, { force: true });
      else await delay(250);
    }
  }
}
