import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, type ServerProcess, spawnServer, tempDir, waitFor } from "@langtian/testing";

const mainScript = fileURLToPath(new URL("../main.ts", import.meta.url));

/** A bridge running as a child process through its real `main.ts`. */
export interface ChildBridge {
  readonly process: ServerProcess;
  /** `http://127.0.0.1:<port>` of its health/metrics/RPC port. */
  readonly url: string;
  /** Sum of a `langtian_bridge_<name>` metric over its labels, read from `/metrics`. */
  metric(name: string): Promise<number>;
}

/**
 * Runs `main.ts` with `env` as a child (own process group, killed if the test process dies)
 * and waits until `/readyz` answers 200.
 */
export async function startChildBridge(
  env: Record<string, string>,
  args: string[] = [],
): Promise<ChildBridge> {
  const port = await freePort();
  const dir = tempDir("bridge-child");
  const child = spawnServer({
    command: process.execPath,
    args: [mainScript, ...args],
    logFile: join(dir, "bridge.log"),
    env: { ...process.env, ...env, LANGTIAN_BRIDGE_PORT: String(port), LANGTIAN_BRIDGE_LOG_LEVEL: "info" },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      const res = await fetch(`${url}/readyz`);
      return res.status === 200 ? true : undefined;
    },
    {
      what: "the bridge child to be ready",
      timeoutMs: 60_000,
      giveUpIf: () => (child.isRunning() ? undefined : `it exited:\n${child.logTail(20)}`),
    },
  );
  return {
    process: child,
    url,
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`)).text();
      let sum = 0;
      for (const line of text.split("\n")) {
        const m = /^langtian_bridge_(\w+?)(\{[^}]*\})? (\S+)$/.exec(line);
        if (m?.[1] === name) sum += Number(m[3]);
      }
      return sum;
    },
  };
}

/** Runs `main.ts provision` with `env` as a child process; resolves with its JSON report. */
export function runProvisionCli(env: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [mainScript, "provision"],
      { env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`provision failed: ${stderr}`, { cause: err }));
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "null"));
      },
    );
  });
}
