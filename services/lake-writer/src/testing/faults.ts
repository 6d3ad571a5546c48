import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { tempDir } from "@langtian/testing";

const execFileAsync = promisify(execFile);

/**
 * Real storage faults for tests (root on Linux, as CI runs): a volume that is full. A
 * folder nothing can be written into is `freezeFolder` from `@langtian/testing`.
 */

/** The first folder below `root` (depth first) whose name is `name`, or undefined. */
export function findFolder(root: string, name: string): string | undefined {
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(root, entry.name);
    if (entry.name === name) return path;
    const found = findFolder(path, name);
    if (found) return found;
  }
  return undefined;
}

/** A size-limited volume (tmpfs) that a test can fill up and free again. */
export interface SmallVolume {
  /** The mounted folder. */
  dir: string;
  /** Writes a filler file until the volume is full (ENOSPC). */
  fill(): Promise<void>;
  /** Deletes the filler. */
  free(): void;
  /** Unmounts and deletes the folder. */
  dispose(): Promise<void>;
}

/** Mounts a tmpfs of `sizeMiB` MiB on a fresh temporary folder (needs root). */
export async function mountSmallVolume(sizeMiB: number): Promise<SmallVolume> {
  const dir = tempDir("small-volume");
  mkdirSync(dir, { recursive: true });
  await execFileAsync("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m`, "tmpfs", dir]);
  const filler = join(dir, "filler");
  return {
    dir,
    async fill() {
      const file = await open(filler, "w");
      const block = Buffer.alloc(1 << 20, 1);
      try {
        for (;;) await file.write(block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      } finally {
        await file.close().catch(() => undefined);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    async dispose() {
      await execFileAsync("umount", ["-l", dir]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
