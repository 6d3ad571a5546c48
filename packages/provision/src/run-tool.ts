import { type ChildProcess, spawn } from "node:child_process";
import { type DownloadSource, missingToolError, networkHint } from "./prerequisites.ts";
import { ProvisionError } from "./provision-error.ts";

/** Options for {@link runTool}. */
export interface RunToolOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Where the command downloads from, when it does: a failure whose output says the network is
   * the problem then leads with what to check instead of the tool's own words.
   */
  downloadsFrom?: DownloadSource;
}

/** Build tools still running: killed when this process exits, so no orphaned `go build` goes on. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.on("close", () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of running) c.kill();
  });
}

/**
 * Runs a build tool (go, mvn, apt-get) to completion with its output captured, and throws a
 * {@link ProvisionError} when it fails: one paragraph on how to get the tool when it is not
 * installed, a network hint when a download could not connect, else the output's tail.
 * Provisioning stays quiet when it works and explains itself when it does not.
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: RunToolOptions = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
    killOnExit(child);
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      // Keep memory bounded for chatty builds; only the tail is ever shown.
      if (output.length > 1_000_000) output = output.slice(-200_000);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    let failedToStart = false;
    child.on("error", (err: NodeJS.ErrnoException) => {
      failedToStart = true;
      reject(
        err.code === "ENOENT"
          ? missingToolError(command, err)
          : new ProvisionError(`cannot run ${command}: ${err.message}`, { cause: err }),
      );
    });
    child.on("close", (code, signal) => {
      if (failedToStart) return;
      if (code === 0) {
        resolve(output);
        return;
      }
      const tail = output.trim().split("\n").slice(-30).join("\n");
      const hint = options.downloadsFrom ? networkHint(output, options.downloadsFrom) : undefined;
      const failed = `${[command, ...args].join(" ")} failed (${signal ?? `exit ${code}`})`;
      reject(new ProvisionError(hint ? `${hint}\n${failed}:\n${tail}` : `${failed}:\n${tail}`));
    });
  });
}
