import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { pino } from "pino";
import { loadConfig } from "./config.ts";
import { defineConfigSchema } from "./config-schema.ts";
import type { DrainResult } from "./lifecycle.ts";
import { LifecyclePhase } from "./lifecycle.ts";
import { createServiceApp } from "./service-app.ts";
import { serviceFields } from "./service-config.ts";
import type { ProcessLike, ShutdownTarget } from "./shutdown.ts";
import { installShutdown, SHUTDOWN_SIGNALS, ShutdownExitCode } from "./shutdown.ts";

/** A fake process: signals are emitted by the test, exit codes recorded. */
class FakeProcess extends EventEmitter implements ProcessLike {
  readonly codes: number[] = [];
  private resolveExit: ((code: number) => void) | undefined;
  readonly exited = new Promise<number>((resolve) => {
    this.resolveExit = resolve;
  });
  exit(code: number): void {
    this.codes.push(code);
    this.resolveExit?.(code);
  }
  override on(event: string, listener: (signal: NodeJS.Signals) => void): this {
    return super.on(event, listener);
  }
  override off(event: string, listener: (signal: NodeJS.Signals) => void): this {
    return super.off(event, listener);
  }
}

function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l !== "") lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino(stream), lines };
}

function fakeTarget(
  drain: () => Promise<DrainResult>,
  close = async () => {},
  logger = logCapture().logger,
): ShutdownTarget & { closed: number } {
  const target = {
    logger,
    lifecycle: { phase: LifecyclePhase.running },
    closed: 0,
    drain,
    close: async () => {
      target.closed++;
      await close();
    },
  };
  return target;
}

const schema = defineConfigSchema("sd", serviceFields({ port: 0 }));

describe("installShutdown", () => {
  it("on SIGTERM marks not ready, runs drain hooks, closes the server and exits 0", async () => {
    const proc = new FakeProcess();
    const app = createServiceApp({
      schema,
      config: loadConfig(schema, { LANGTIAN_SD_LOG_LEVEL: "silent" }),
      version: "1",
    });
    const seen: number[] = [];
    app.lifecycle.onDrain({
      name: "flush",
      run: async () => {
        seen.push((await app.fastify.inject({ url: "/readyz" })).statusCode);
      },
    });
    await app.listen();
    installShutdown(app, { deadlineMs: 10_000, process: proc });
    proc.emit("SIGTERM", "SIGTERM");
    assert.equal(await proc.exited, ShutdownExitCode.clean);
    assert.deepEqual(seen, [503], "readiness is withdrawn before the hooks run");
    assert.equal(app.lifecycle.phase, LifecyclePhase.drained);
    assert.equal(app.fastify.server.listening, false);
  });

  it("listens on SIGINT, SIGTERM, SIGBREAK and SIGHUP and uninstalls cleanly", () => {
    const proc = new FakeProcess();
    const handle = installShutdown(
      fakeTarget(async () => ({ phase: "drained", deadlineExceeded: false, pending: [], failed: [] })),
      {
        deadlineMs: 1000,
        process: proc,
      },
    );
    assert.deepEqual([...SHUTDOWN_SIGNALS], ["SIGINT", "SIGTERM", "SIGBREAK", "SIGHUP"]);
    for (const s of SHUTDOWN_SIGNALS) assert.equal(proc.listenerCount(s), 1, s);
    handle.uninstall();
    for (const s of SHUTDOWN_SIGNALS) assert.equal(proc.listenerCount(s), 0, s);
  });

  it("exits 1 and logs the step it was stuck in when the whole deadline passes", async () => {
    const proc = new FakeProcess();
    const { logger, lines } = logCapture();
    const target = { ...fakeTarget(() => new Promise<DrainResult>(() => {})), logger };
    installShutdown(target, { deadlineMs: 30, process: proc });
    proc.emit("SIGHUP", "SIGHUP");
    assert.equal(await proc.exited, ShutdownExitCode.incomplete);
    const line = lines.find((l) => l.msg === "shutdown deadline exceeded while draining");
    assert.ok(line, JSON.stringify(lines));
    assert.equal(line.step, "draining");
  });

  it("exits 1 and names the pending hooks when the drain's own deadline passed", async () => {
    const proc = new FakeProcess();
    const { logger, lines } = logCapture();
    const target = {
      ...fakeTarget(async () => ({
        phase: "draining" as const,
        deadlineExceeded: true,
        pending: ["flush", "close"],
        failed: [],
      })),
      logger,
    };
    installShutdown(target, { deadlineMs: 10_000, process: proc });
    proc.emit("SIGINT", "SIGINT");
    assert.equal(await proc.exited, ShutdownExitCode.incomplete);
    assert.deepEqual(lines.find((l) => l.msg === "drain deadline exceeded; closing anyway")?.pending, [
      "flush",
      "close",
    ]);
  });

  it("exits 2 at once on a second signal", async () => {
    const proc = new FakeProcess();
    const target = fakeTarget(() => new Promise<DrainResult>(() => {}));
    installShutdown(target, { deadlineMs: 60_000, process: proc });
    proc.emit("SIGTERM", "SIGTERM");
    proc.emit("SIGBREAK", "SIGBREAK");
    assert.equal(await proc.exited, ShutdownExitCode.forced);
    assert.deepEqual(proc.codes, [ShutdownExitCode.forced]);
    assert.equal(target.closed, 0);
  });

  it("on a fatal error logs it, drains and closes, then exits 3 (failed), not 0", async () => {
    const proc = new FakeProcess();
    const { logger, lines } = logCapture();
    let drains = 0;
    const target = fakeTarget(
      async () => {
        drains++;
        return { phase: "drained", deadlineExceeded: false, pending: [], failed: [] };
      },
      async () => {},
      logger,
    );
    const handle = installShutdown(target, { deadlineMs: 10_000, process: proc });
    const code = await handle.fail("ingest loop failed", new Error("metadata failed 6 times"));
    assert.equal(code, ShutdownExitCode.failed);
    assert.notEqual(ShutdownExitCode.failed, 0);
    assert.deepEqual(proc.codes, [ShutdownExitCode.failed]);
    assert.equal(drains, 1, "drained before exiting");
    assert.equal(target.closed, 1, "closed before exiting");
    const fatal = lines.find((l) => l.level === 60);
    assert.equal(fatal?.reason, "ingest loop failed", JSON.stringify(lines));
    assert.equal((fatal?.err as { message?: string } | undefined)?.message, "metadata failed 6 times");
  });

  it("a fatal error during a requested shutdown still exits 3", async () => {
    const proc = new FakeProcess();
    let finishDrain: () => void = () => {};
    const target = fakeTarget(
      () =>
        new Promise<DrainResult>((resolve) => {
          finishDrain = () => resolve({ phase: "drained", deadlineExceeded: false, pending: [], failed: [] });
        }),
    );
    const handle = installShutdown(target, { deadlineMs: 10_000, process: proc });
    proc.emit("SIGTERM", "SIGTERM");
    const failed = handle.fail("pipeline stopped", new Error("boom"));
    finishDrain();
    assert.equal(await failed, ShutdownExitCode.failed);
    assert.deepEqual(proc.codes, [ShutdownExitCode.failed]);
  });

  it("a start that fails because a signal stopped it keeps the stop's exit code; otherwise it exits 3", async () => {
    const drained = async (): Promise<DrainResult> => ({
      phase: "drained",
      deadlineExceeded: false,
      pending: [],
      failed: [],
    });
    const stopped = new FakeProcess();
    const handle = installShutdown(fakeTarget(drained), { deadlineMs: 10_000, process: stopped });
    stopped.emit("SIGTERM", "SIGTERM");
    assert.equal(await handle.startFailed(new Error("connection closed")), ShutdownExitCode.clean);
    assert.deepEqual(stopped.codes, [ShutdownExitCode.clean]);

    const failing = new FakeProcess();
    const { logger, lines } = logCapture();
    const other = installShutdown(
      fakeTarget(drained, async () => {}, logger),
      {
        deadlineMs: 10_000,
        process: failing,
      },
    );
    assert.equal(await other.startFailed(new Error("consumer not found")), ShutdownExitCode.failed);
    assert.deepEqual(failing.codes, [ShutdownExitCode.failed]);
    assert.equal(lines.find((l) => l.level === 60)?.reason, "start failed");
  });

  it("runs once when shutdown() is called directly and a signal follows the finish", async () => {
    const proc = new FakeProcess();
    let drains = 0;
    const target = fakeTarget(async () => {
      drains++;
      return { phase: "drained", deadlineExceeded: false, pending: [], failed: [] };
    });
    const handle = installShutdown(target, { deadlineMs: 1000, process: proc });
    const [a, b] = await Promise.all([handle.shutdown("test"), handle.shutdown("again")]);
    assert.equal(a, ShutdownExitCode.clean);
    assert.equal(b, ShutdownExitCode.clean);
    assert.equal(drains, 1);
    assert.deepEqual(proc.codes, [0]);
  });
});
