import { run } from "../lib/run.ts";

/** Type-checks every Node workspace (strict, see tsconfig.base.json). */
export async function typecheck(): Promise<void> {
  await run("tsc", ["-p", "tsconfig.json"]);
}
