import { execFile } from "node:child_process";
import { resolve } from "node:path";

/** The CLI's entry point. */
const CLI = resolve(import.meta.dirname, "../cli/main.ts");

/** Runs `langtian <args>` as a child process and returns its exit code and output. */
export function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        done({ code, stdout, stderr });
      },
    );
  });
}
