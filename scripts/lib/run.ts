import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
// Built-ins only, like this file: scripts run it before node_modules exists.
import { ProvisionError } from "../../packages/provision/src/provision-error.ts";

/** Absolute path of the repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Options for {@link run}. */
export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Capture stdout and return it instead of streaming it. */
  capture?: boolean;
}

/** Error thrown when a command exits non-zero. */
export class CommandFailedError extends Error {
  override name = "CommandFailedError";
  readonly exitCode: number | null;
  constructor(command: string, exitCode: number | null, options?: ErrorOptions) {
    super(`${command} exited with ${exitCode}`, options);
    this.exitCode = exitCode;
  }
}

/**
 * Runs a command to completion, streaming its output (or capturing stdout), and throws
 * {@link CommandFailedError} when it fails. `npx`-style binaries from node_modules/.bin are on PATH.
 */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const binPath = resolve(repoRoot, "node_modules", ".bin");
  const env = { ...process.env, ...options.env };
  env.PATH = `${binPath}${process.platform === "win32" ? ";" : ":"}${env.PATH ?? ""}`;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env,
      stdio: ["ignore", options.capture ? "pipe" : "inherit", "inherit"],
      shell: process.platform === "win32",
    });
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolvePromise(out);
      else reject(new CommandFailedError([command, ...args].join(" "), code));
    });
  });
}

/** Prints a step header and times the step; a failed step says so (and how long it ran) and rethrows. */
export async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const elapsed = () => ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`\n▶ ${name}\n`);
  try {
    const result = await fn();
    process.stdout.write(`✔ ${name} (${elapsed()} s)\n`);
    return result;
  } catch (err) {
    process.stderr.write(`\n✖ ${name} failed after ${elapsed()} s\n`);
    throw err;
  }
}

/**
 * Runs a script's body. A failure already explained by its message (a tool the machine lacks,
 * from provisioning; a command whose own output is above) ends the process with that message
 * and exit code 1, not a stack trace; other errors propagate as usual. Build tools still
 * running in the background are killed by their own exit hook (runTool).
 */
export async function runScript(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (!explained(err)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

/** Errors whose message is the whole story: a failed command, or a tool provisioning could not install. */
function explained(err: unknown): err is Error {
  return err instanceof CommandFailedError || err instanceof ProvisionError;
}
