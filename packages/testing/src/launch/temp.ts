import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addExitCleanup } from "./server-process.ts";

/**
 * Creates a fresh folder under the OS temp dir and removes it when the process exits or dies
 * (after every server has been killed, so no server writes into a folder being removed).
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `langtian-${sanitize(prefix)}-`));
  addExitCleanup(() => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }), dir);
  return dir;
}

/**
 * A name no other test (or test run) uses, for streams, consumers, topics, groups and
 * tables: `<prefix>_<time>_<random>`, made of `[a-z0-9_]` only, which every one of those
 * accepts without quoting.
 */
export function uniqueName(prefix: string): string {
  return `${sanitize(prefix)}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
}

function sanitize(prefix: string): string {
  return prefix.toLowerCase().replace(/[^a-z0-9_]+/g, "_") || "x";
}
