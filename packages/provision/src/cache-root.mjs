// Where provisioned tools live: one folder per user, shared by every clone, so fresh
// clones and CI runs reuse downloads and builds. Plain JS with no dependencies on purpose:
// scripts/node24.mjs imports it while running on old nodes, before Node 24 and node_modules
// exist.
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/**
 * Per-user cache folder of Langtian EDA. `LANGTIAN_CACHE_DIR` overrides it (tests of a
 * cold start point it at an empty folder).
 * @returns {string}
 */
export function cacheRoot() {
  if (process.env.LANGTIAN_CACHE_DIR) return resolve(process.env.LANGTIAN_CACHE_DIR);
  if (process.platform === "win32") {
    return join(process.env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local"), "langtian-eda");
  }
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "langtian-eda");
}
