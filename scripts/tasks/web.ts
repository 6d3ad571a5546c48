import { join } from "node:path";
import { repoRoot, run } from "../lib/run.ts";

/** The web UI's workspace folder. */
export const webDir = join(repoRoot, "web");

/**
 * `npm test`'s build of the web UI (`vite build` into web/dist): the browser tests drive the
 * admin serving this build, and a UI that does not build fails here, before any server starts.
 */
export async function webBuild(): Promise<void> {
  await run("npm", ["run", "build", "-w", "web"]);
}

/** The web UI's component tests (vitest with jsdom, `web/src/**\/*.test.tsx`): no servers. */
export async function webTests(): Promise<void> {
  await run("vitest", ["run"], { cwd: webDir });
}
