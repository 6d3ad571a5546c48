/**
 * The one shutdown path: on SIGINT, SIGTERM, SIGBREAK or SIGHUP mark not ready and drain
 * (stage hooks), close the server, exit. A deadline bounds the whole sequence; a second
 * signal forces an immediate exit. (Windows delivers only SIGINT, SIGBREAK and SIGHUP.)
 * A fatal error takes the same path (`fail`) but exits non-zero, so a service manager that
 * restarts on failure restarts the service; a requested stop exits 0.
 */
import type { Logger } from "pino";
import type { DrainOptions, DrainResult, Lifecycle } from "./lifecycle.ts";
import { FORCE_CLOSE_AFTER_ABORT_MS } from "./service-app.ts";

/** Signals that start a shutdown. */
export const SHUTDOWN_SIGNALS = [
  "SIGINT",
  "SIGTERM",
  "SIGBREAK",
  "SIGHUP",
] as const satisfies readonly NodeJS.Signals[];

/** Exit codes of the shutdown path. */
export const ShutdownExitCode = {
  /** Drained and closed in time. */
  clean: 0,
  /** The deadline passed (or the drain's own deadline did): some work was left. */
  incomplete: 1,
  /** A second signal arrived: exited at once. */
  forced: 2,
  /** A fatal error stopped the service (drained first): restart it. */
  failed: 3,
} as const;
/** One of `ShutdownExitCode`'s values. */
export type ShutdownExitCode = (typeof ShutdownExitCode)[keyof typeof ShutdownExitCode];

/** The part of `process` the shutdown path uses (tests pass a fake). */
export interface ProcessLike {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/** The part of a `ServiceApp` the shutdown path uses. */
export interface ShutdownTarget {
  readonly logger: Logger;
  readonly lifecycle: Pick<Lifecycle, "phase">;
  drain(options?: DrainOptions): Promise<DrainResult>;
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Options of `installShutdown`. */
export interface ShutdownOptions {
  /** Whole-shutdown deadline in ms (drain + close). */
  readonly deadlineMs: number;
  /** Signals to handle (default `SHUTDOWN_SIGNALS`). */
  readonly signals?: readonly NodeJS.Signals[];
  /** The process to listen on and exit (default the real one). */
  readonly process?: ProcessLike;
}

/** Handle returned by `installShutdown`. */
export interface ShutdownHandle {
  /** Runs the shutdown as if a signal had arrived; resolves with the exit code it exited with. */
  shutdown(reason: string): Promise<ShutdownExitCode>;
  /**
   * A fatal error: logs it, drains and closes like {@link ShutdownHandle.shutdown}, then exits
   * with `ShutdownExitCode.failed`. Called while a requested shutdown runs, it turns that
   * shutdown's exit code into `failed` too (the error is real whatever stopped the service).
   */
  fail(reason: string, err?: unknown): Promise<ShutdownExitCode>;
  /**
   * `start()` threw: a fatal error (`fail("start failed", err)`), unless a requested shutdown
   * was already running. A start that waits (for JetStream, say) ends with an error when a
   * signal stops the service meanwhile; that error is the stop's doing, and the stop's exit
   * code stands (a service manager must not restart a service it asked to stop).
   */
  startFailed(err: unknown): Promise<ShutdownExitCode>;
  /** Removes the signal listeners. */
  uninstall(): void;
}

/**
 * Installs the signal handlers. The sequence: drain (the phase becomes `draining`, so
 * `/readyz` turns 503 at once), close the server with the remaining time as grace, exit 0.
 * If the drain reports its own deadline exceeded, or the whole deadline passes, it exits 1
 * after logging what was left. A second signal exits 2 immediately. `fail()` (a fatal error)
 * runs the same sequence and exits 3.
 */
export function installShutdown(app: ShutdownTarget, options: ShutdownOptions): ShutdownHandle {
  const proc: ProcessLike = options.process ?? process;
  const signals = options.signals ?? SHUTDOWN_SIGNALS;
  const log = app.logger;
  let running: Promise<ShutdownExitCode> | undefined;
  let exited = false;
  let failure = false;
  // Kept referenced on purpose: the deadline must fire even if the drain waits on nothing
  // that holds the event loop open. Cleared on every exit path.
  let deadlineTimer: NodeJS.Timeout | undefined;
  const exit = (code: ShutdownExitCode): ShutdownExitCode => {
    clearTimeout(deadlineTimer);
    if (!exited) {
      exited = true;
      proc.exit(code);
    }
    return code;
  };

  const run = async (reason: string): Promise<ShutdownExitCode> => {
    const startedMs = Date.now();
    let step = "draining";
    let pending: readonly string[] = [];
    log.info({ reason, deadlineMs: options.deadlineMs }, "shutting down");
    const deadline = new Promise<ShutdownExitCode>((resolve) => {
      deadlineTimer = setTimeout(() => {
        log.error(
          { step, pending, deadlineMs: options.deadlineMs },
          `shutdown deadline exceeded while ${step}`,
        );
        resolve(ShutdownExitCode.incomplete);
      }, options.deadlineMs);
    });
    const sequence = (async (): Promise<ShutdownExitCode> => {
      const drained = await app.drain();
      let code: ShutdownExitCode = ShutdownExitCode.clean;
      if (drained.deadlineExceeded) {
        pending = drained.pending;
        log.error({ pending }, "drain deadline exceeded; closing anyway");
        code = ShutdownExitCode.incomplete;
      }
      if (drained.failed.length > 0) code = ShutdownExitCode.incomplete;
      step = "closing the server";
      // Leave room for the forced close after the grace, so close() ends before the deadline.
      const remainingMs = options.deadlineMs - (Date.now() - startedMs);
      await app.close({ graceMs: Math.max(0, remainingMs - 2 * FORCE_CLOSE_AFTER_ABORT_MS) });
      log.info({ code }, "shutdown complete");
      return code;
    })().catch((err: unknown) => {
      log.error({ err, step }, "shutdown failed");
      return ShutdownExitCode.incomplete;
    });
    const code = await Promise.race([sequence, deadline]);
    // A failure outranks a slow drain: the service must be restarted either way.
    return exit(failure ? ShutdownExitCode.failed : code);
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (running !== undefined) {
      log.warn({ signal }, "second signal: exiting now");
      exit(ShutdownExitCode.forced);
      return;
    }
    running = run(signal);
  };
  for (const s of signals) proc.on(s, onSignal);

  return {
    shutdown(reason) {
      running ??= run(reason);
      return running;
    },
    fail(reason, err) {
      failure = true;
      log.fatal({ err, reason }, `fatal: ${reason}; draining, then exiting with ${ShutdownExitCode.failed}`);
      running ??= run(reason);
      return running;
    },
    startFailed(err) {
      if (running !== undefined && !failure) {
        log.info(
          { err: err instanceof Error ? err.message : String(err) },
          "start ended by the requested stop",
        );
        return running;
      }
      return this.fail("start failed", err);
    },
    uninstall() {
      for (const s of signals) proc.off(s, onSignal);
    },
  };
}
