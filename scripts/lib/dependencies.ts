import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
// Built-ins only, like this file: dependencies are not installed yet when it runs.
import { acquireLock, progress, withHeartbeat } from "../../packages/provision/src/install-dir.ts";
import { repoRoot, run } from "./run.ts";

const stampFile = join(repoRoot, "node_modules", ".langtian-lock-hash");

const patchesDir = join(repoRoot, "patches");

/** Hash of what an install produces: the lockfile and the dependency patches applied after it. */
function lockHash(): string {
  const hash = createHash("sha256").update(readFileSync(join(repoRoot, "package-lock.json")));
  for (const name of existsSync(patchesDir) ? readdirSync(patchesDir).sort() : []) {
    hash.update(name).update(readFileSync(join(patchesDir, name)));
  }
  return hash.digest("hex");
}

function upToDate(hash: string): boolean {
  return existsSync(stampFile) && readFileSync(stampFile, "utf8") === hash;
}

/**
 * Installs npm dependencies when node_modules is missing or older than package-lock.json or
 * `patches/` (applied by the root `postinstall`), so that `npm test` and `npm run stack` work
 * on a fresh clone without `npm install`. A fresh tree gets `npm ci`; an existing one gets
 * `npm install`, which updates it in place instead of deleting it under processes that are
 * using it. A lock keeps concurrent runs apart.
 */
export async function ensureDependencies(): Promise<void> {
  if (upToDate(lockHash())) return;
  const release = await acquireLock(join(repoRoot, ".npm-install.lock"), "npm dependencies");
  try {
    const hash = lockHash();
    if (upToDate(hash)) return;
    const fresh = !existsSync(join(repoRoot, "node_modules"));
    const command = fresh ? "ci" : "install";
    // npm prints nothing until it ends, minutes on a cold cache: say it is alive.
    progress(`npm ${command}: installing node_modules from package-lock.json`);
    await withHeartbeat(`npm ${command}`, () => run("npm", [command, "--no-audit", "--no-fund"]));
    writeFileSync(stampFile, hash);
  } finally {
    await release();
  }
}
