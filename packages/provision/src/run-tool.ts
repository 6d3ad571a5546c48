import { spawn } from "node:child_process";
import { ProvisionError } from "./provision-error.ts";

/** Options for {@link runTool}. */
export interface RunToolOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a build tool (go, mvn, apt-get) to completion with its output captured, and throws a
 * {@link ProvisionError} carrying the output's tail when it fails: provisioning stays quiet
 * when it works and explains itself when it does not.
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
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      // Keep memory bounded for chatty builds; only the tail is ever shown.
      if (output.length > 1_000_000) output = output.slice(-200_000);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (err) =>
      reject(new ProvisionError(`cannot run ${command}: ${err.message}`, { cause: err })),
    );
    child.on("close", (code, signal) => {
      if (code === 0) {
        resolve(output);
        return;
      }
      const tail = output.trim().split("\n").slice(-30).join("\n");
      reject(
        new ProvisionError(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${tail}`),
      );
    });
  });
}
