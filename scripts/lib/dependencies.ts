import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, run } from "./run.ts";

const stampFile = join(repoRoot, "node_modules", ".langtian-lock-hash");

/**
 * Installs npm dependencies with `npm ci` when node_modules is missing or older than
 * package-lock.json, so that `npm test` works on a fresh clone without `npm install`.
 */
export async function ensureDependencies(): Promise<void> {
  const lock = readFileSync(join(repoRoot, "package-lock.json"));
  const hash = createHash("sha256").update(lock).digest("hex");
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === hash) return;
  await run("npm", ["ci", "--no-audit", "--no-fund"]);
  writeFileSync(stampFile, hash);
}
