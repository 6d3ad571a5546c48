import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, LangtianError } from "@langtian/errors";
import { addExitCleanup } from "../launch/server-process.ts";
import { tempDir } from "../launch/temp.ts";

/**
 * Real write failures for tests: a frozen folder refuses new files (EPERM/EACCES), so a
 * writer's commit fails with an IO error until the folder is thawed. As root, `chattr +i`
 * (immutable; needs ext4, xfs or btrfs) is the only way, since permissions do not stop root;
 * as another user, `chmod a-w` does it.
 */
type Method = "chattr" | "chmod";

let probed: Method | null | undefined;

/**
 * Whether {@link freezeFolder} works here: a frozen temp folder really refused a new file
 * (checked once per process).
 */
export function canFreezeFolders(): boolean {
  return freezeMethod() !== null;
}

/** How folders are frozen here: `chattr` (root), `chmod` (other users), or not at all. */
export function freezeMethod(): Method | null {
  if (probed !== undefined) return probed;
  probed = null;
  const root = tempDir("freeze-probe");
  for (const method of process.getuid?.() === 0 ? (["chattr"] as const) : (["chmod", "chattr"] as const)) {
    const dir = join(root, method);
    mkdirSync(dir);
    if (!setFrozen(method, dir, true)) continue;
    try {
      writeFileSync(join(dir, "probe"), "x");
    } catch {
      probed = method;
    } finally {
      setFrozen(method, dir, false);
    }
    if (probed) break;
  }
  return probed;
}

/** A frozen folder; `thaw()` makes it writable again (idempotent). */
export interface FrozenFolder {
  readonly path: string;
  /** `chattr` or `chmod`. */
  readonly method: Method;
  thaw(): void;
}

/** Error thrown when a folder cannot be frozen or thawed. */
export class FreezeError extends LangtianError {
  override readonly code = ErrorCode.failedPrecondition;
  override name = "FreezeError";
}

/**
 * Freezes `path`: files can no longer be created or deleted in it. The folder is thawed
 * again when the process exits, before temp folders are removed (an immutable folder
 * cannot be deleted).
 */
export function freezeFolder(path: string): FrozenFolder {
  const method = freezeMethod();
  if (method === null) throw new FreezeError("folders cannot be frozen here (no chattr as root)");
  let frozen = false;
  addExitCleanup(
    () => {
      if (frozen) setFrozen(method, path, false);
    },
    undefined,
    true,
  );
  if (!setFrozen(method, path, true)) throw new FreezeError(`cannot freeze ${path} with ${method}`);
  frozen = true;
  return {
    path,
    method,
    thaw() {
      if (!frozen) return;
      if (!setFrozen(method, path, false)) throw new FreezeError(`cannot thaw ${path} with ${method}`);
      frozen = false;
    },
  };
}

function setFrozen(method: Method, path: string, frozen: boolean): boolean {
  if (method === "chattr") {
    return spawnSync("chattr", [frozen ? "+i" : "-i", path], { stdio: "ignore" }).status === 0;
  }
  try {
    const mode = statSync(path).mode & 0o777;
    chmodSync(path, frozen ? mode & ~0o222 : mode | 0o200);
    return true;
  } catch {
    return false;
  }
}
