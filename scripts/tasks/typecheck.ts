import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, run } from "../lib/run.ts";

/**
 * Type-checks every Node workspace (strict, see tsconfig.base.json), then the web UI with its
 * own tsconfig (DOM, JSX, bundler resolution) when the workspace has one.
 */
export async function typecheck(): Promise<void> {
  await run("tsc", ["-p", "tsconfig.json"]);
  if (existsSync(join(repoRoot, "web", "tsconfig.json"))) await run("tsc", ["-p", "web/tsconfig.json"]);
}
