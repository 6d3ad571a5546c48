import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { spawnServer } from "./server-process.ts";
import { tempDir } from "./temp.ts";
import { waitFor } from "./wait.ts";

/** A parent that starts a long-running "server" in a temp dir, reports both, then idles. */
const parentScript = `
import { spawnServer } from ${JSON.stringify(join(import.meta.dirname, "server-process.ts"))};
import { tempDir } from ${JSON.stringify(join(import.meta.dirname, "temp.ts"))};
const dir = tempDir("orphan");
const server = spawnServer({ command: "sleep", args: ["600"], logFile: dir + "/sleep.log" });
process.stdout.write(JSON.stringify({ pid: server.pid, dir }) + "\\n");
setInterval(() => {}, 1000);
`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startParent(): Promise<{ parent: ReturnType<typeof spawn>; pid: number; dir: string }> {
  const parent = spawn(process.execPath, ["--input-type=module", "-e", parentScript], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  parent.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const started = await waitFor(async () => (out.includes("\n") ? JSON.parse(out) : undefined), {
    what: "the parent to start its server",
    timeoutMs: 30_000,
  });
  return { parent, ...(started as { pid: number; dir: string }) };
}

describe("spawnServer", () => {
  for (const signal of ["SIGKILL", "SIGTERM", "SIGINT"] as const) {
    it(`leaves no process or temp dir behind when its parent gets ${signal}`, async () => {
      const { parent, pid, dir } = await startParent();
      assert.equal(isAlive(pid), true);
      assert.equal(existsSync(dir), true);
      parent.kill(signal);
      await waitFor(async () => (!isAlive(pid) && !existsSync(dir) ? true : undefined), {
        what: `server ${pid} and ${dir} to be gone`,
        timeoutMs: 30_000,
      });
    });
  }

  it("stops gracefully, reports the exit and keeps the output in the log", async () => {
    const dir = tempDir("graceful");
    const logFile = join(dir, "out.log");
    const lines: string[] = [];
    const server = spawnServer({
      command: process.execPath,
      args: [
        "-e",
        "process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); console.log('hello'); setInterval(() => {}, 1000);",
      ],
      logFile,
      onLine: (line) => lines.push(line),
    });
    await waitFor(async () => (lines.includes("hello") ? true : undefined), {
      what: "hello",
      timeoutMs: 10_000,
    });
    const exit = await server.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(server.isRunning(), false);
    assert.deepEqual(lines, ["hello", "bye"]);
    assert.equal(server.logTail(), "hello\nbye");
  });

  it("sees a server that ignores SIGTERM killed after the grace, even with nothing else keeping its parent alive", async () => {
    // The parent awaits only the stop (at top level): before the fix it ended mid-await (13).
    const script = `
import { spawnServer } from ${JSON.stringify(join(import.meta.dirname, "server-process.ts"))};
import { tempDir } from ${JSON.stringify(join(import.meta.dirname, "temp.ts"))};
const server = spawnServer({ command: "sh", args: ["-c", "trap '' TERM; echo up; sleep 600"], logFile: tempDir("stubborn") + "/sh.log" });
await new Promise((resolve) => setTimeout(resolve, 500));
const exit = await server.stop(300);
process.stdout.write(JSON.stringify(exit) + "\\n");
`;
    const parent = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    parent.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => parent.once("exit", (c) => resolve(c)));
    assert.equal(code, 0, out);
    assert.deepEqual(JSON.parse(out.trim()), { code: null, signal: "SIGKILL" });
  });
});
