import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { waitFor } from "./wait.ts";

/** The repository root (this file is packages/testing/src/launch/stack-process.ts). */
const repoRoot = resolve(import.meta.dirname, "../../../..");

/**
 * `npm run stack`'s script, spawned by path: the testing kit may not import scripts/, and a
 * child is what the tests want anyway (its exit code, its output, its shutdown on stdin's end).
 */
const STACK_SCRIPT = resolve(repoRoot, "scripts", "stack.ts");

/** What the stack prints once its smoke check passed under `--hold`. */
const HOLDING_LINE = "smoke: holding until stdin ends";

/** How {@link runStack} runs the stack. */
export interface RunStackOptions {
  /** Flags after `--smoke --no-install` (`--hold`, `--ha`, `--direct`, …). */
  readonly flags?: readonly string[];
  /** Set over this process's environment (the stack's dir and ports, for example). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * With `--hold`: runs once the smoke check passed, with the output so far, before stdin
   * ends and the stack shuts down as on Ctrl+C.
   */
  readonly whileUp?: (output: string) => Promise<void>;
  /** How long the smoke check may take before `whileUp` (default 9 minutes). */
  readonly smokeTimeoutMs?: number;
}

/** How the stack ended: its exit code and everything it wrote to stdout and stderr. */
export interface StackRun {
  readonly code: number | null;
  readonly output: string;
}

/**
 * Runs `node scripts/stack.ts --smoke --no-install ...flags` to its end. Stdin ends at once,
 * or, with `--hold`, after the smoke check passed and `whileUp` returned (or threw: the stack
 * is shut down either way, and the error is rethrown once it exited).
 */
export async function runStack(options: RunStackOptions = {}): Promise<StackRun> {
  const flags = options.flags ?? [];
  const child = spawn(process.execPath, [STACK_SCRIPT, "--smoke", "--no-install", ...flags], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let exited = false;
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exit = new Promise<number | null>((done) =>
    child.on("exit", (code) => {
      exited = true;
      done(code);
    }),
  );
  try {
    if (flags.includes("--hold")) {
      await waitFor(async () => (output.includes(HOLDING_LINE) ? true : undefined), {
        what: "the stack's smoke check to pass",
        timeoutMs: options.smokeTimeoutMs ?? 540_000,
        intervalMs: 500,
        giveUpIf: () => (exited ? `the stack exited:\n${output}` : undefined),
      });
      await options.whileUp?.(output);
    }
  } finally {
    child.stdin.end();
    // The stack is gone before an error of the wait or of whileUp reaches the test.
    await exit;
  }
  return { code: await exit, output };
}
