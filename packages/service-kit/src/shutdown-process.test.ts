import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const script = join(dirname(fileURLToPath(import.meta.url)), "testdata", "tiny-service.ts");

describe("shutdown of a real service process", () => {
  let child: ChildProcess | undefined;
  after(() => {
    // Never leave the process behind, even when an assertion failed.
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  it("drains and exits 0 on SIGTERM, logging each step", async () => {
    child = spawn(process.execPath, [script], {
      env: { ...process.env, LANGTIAN_TINY_HOST: "127.0.0.1", LANGTIAN_TINY_PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines: Record<string, unknown>[] = [];
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    const listening = new Promise<number>((resolve, reject) => {
      const rl = createInterface({ input: child?.stdout ?? process.stdin });
      rl.on("line", (text) => {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        if (line.msg === "listening") resolve(Number(line.port));
      });
      void exited.then(() => reject(new Error(`exited before listening: ${JSON.stringify(lines)}`)));
    });
    const port = await listening;
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 200);
    child.kill("SIGTERM");
    const [code, signal] = await exited;
    assert.equal(signal, null);
    assert.equal(code, 0, JSON.stringify(lines));
    const messages = lines.map((l) => l.msg);
    for (const expected of ["shutting down", "draining", "flushed", "shutdown complete"]) {
      assert.ok(messages.includes(expected), `missing "${expected}" in ${JSON.stringify(messages)}`);
    }
    assert.equal(lines.find((l) => l.msg === "shutting down")?.reason, "SIGTERM");
  });
});
