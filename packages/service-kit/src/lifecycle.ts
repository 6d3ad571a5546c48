/**
 * The drain state machine: starting → running → draining → drained.
 *
 * Stages register drain hooks; `drain()` runs them one after another in `order` (stop intake
 * first, then finish in-flight work, then flush/commit, then close connections), bounded by a
 * deadline. Drain is idempotent: every call returns the same promise.
 */
import type { Logger } from "pino";
import { DrainHookError } from "./errors.ts";

/** Lifecycle phases. */
export const LifecyclePhase = {
  starting: "starting",
  running: "running",
  draining: "draining",
  drained: "drained",
} as const;
/** One of `LifecyclePhase`'s values. */
export type LifecyclePhase = (typeof LifecyclePhase)[keyof typeof LifecyclePhase];

/**
 * Conventional hook orders (lower runs first). Hooks with equal order run in registration
 * order. Use numbers in between for anything else.
 */
export const DrainOrder = {
  /** Stop taking new work: close the UDP socket, stop fetching from JetStream/Kafka. */
  stopIntake: 100,
  /** Wait for in-flight work to finish. */
  finishInFlight: 200,
  /** Flush buffers and commit (publish outstanding, commit offsets, close the lake transaction). */
  flush: 300,
  /** Close client connections (NATS drain, Kafka close, DuckDB close). */
  closeConnections: 400,
} as const;

/** A drain hook as registered by a stage. */
export interface DrainHook {
  /** Name used in logs and in the "what was left" report. */
  readonly name: string;
  /** Position in the drain sequence (see `DrainOrder`); default `DrainOrder.finishInFlight`. */
  readonly order?: number;
  /** The work. The signal aborts when the drain deadline passes. */
  readonly run: (signal: AbortSignal) => Promise<void> | void;
}

/** Outcome of a drain. */
export interface DrainResult {
  /** Phase when the drain settled: `drained`, or `draining` if the deadline cut it short. */
  readonly phase: LifecyclePhase;
  /** True if the deadline passed before every hook finished. */
  readonly deadlineExceeded: boolean;
  /** Hooks that had not finished at the deadline (the running one first). */
  readonly pending: readonly string[];
  /** Hooks that threw (the drain carried on with the next hook). */
  readonly failed: readonly string[];
}

/** Options of a drain call. */
export interface DrainOptions {
  /** Deadline in ms; 0 or unset = the lifecycle's default. Only the first call's deadline counts. */
  readonly deadlineMs?: number;
}

/** A source of stage counters for `LifecycleService.Status`. */
export type CounterSource = () => Readonly<Record<string, number>>;

/** The lifecycle of one service instance. */
export interface Lifecycle {
  /** Current phase. */
  readonly phase: LifecyclePhase;
  /** When this lifecycle was created (reported by Status). */
  readonly startedAt: Date;
  /** starting → running. Ignored once draining has begun (a drain may race startup). */
  markRunning(): void;
  /** Registers a drain hook. Hooks registered after the drain started are not run. */
  onDrain(hook: DrainHook): void;
  /** Starts draining (or returns the drain already under way). Never rejects. */
  drain(options?: DrainOptions): Promise<DrainResult>;
  /** The drain under way, if any. */
  readonly drainPromise: Promise<DrainResult> | undefined;
  /** Adds a source of stage counters reported by Status. */
  addCounters(source: CounterSource): void;
  /** All stage counters, merged (later sources win on equal names). */
  counters(): Record<string, number>;
}

/** Options of `createLifecycle`. */
export interface LifecycleOptions {
  /** Default drain deadline in ms. */
  readonly drainDeadlineMs: number;
  /** Logger for hook progress and failures. */
  readonly logger?: Logger;
  /** Clock, for tests (default `() => new Date()`). */
  readonly now?: () => Date;
}

/** Creates a lifecycle in phase `starting`. */
export function createLifecycle(options: LifecycleOptions): Lifecycle {
  let phase: LifecyclePhase = LifecyclePhase.starting;
  let drainPromise: Promise<DrainResult> | undefined;
  const hooks: { hook: DrainHook; seq: number }[] = [];
  const counterSources: CounterSource[] = [];
  const log = options.logger;

  const runDrain = async (deadlineMs: number): Promise<DrainResult> => {
    const ordered = [...hooks].sort(
      (a, b) =>
        (a.hook.order ?? DrainOrder.finishInFlight) - (b.hook.order ?? DrainOrder.finishInFlight) ||
        a.seq - b.seq,
    );
    const controller = new AbortController();
    const failed: string[] = [];
    let index = 0;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => {
      timer = setTimeout(() => resolve("deadline"), deadlineMs);
      // The drain's work keeps the process alive if it needs to; this timer alone must not
      // (the shutdown path has its own, referenced deadline).
      timer.unref();
    });
    const work = (async () => {
      for (; index < ordered.length; index++) {
        const entry = ordered[index];
        if (entry === undefined || controller.signal.aborted) break;
        const { hook } = entry;
        log?.info({ hook: hook.name }, "drain hook starting");
        try {
          await hook.run(controller.signal);
          log?.info({ hook: hook.name }, "drain hook done");
        } catch (err) {
          failed.push(hook.name);
          log?.error(
            { err: new DrainHookError(hook.name, { cause: err }), hook: hook.name },
            "drain hook failed",
          );
        }
      }
      return "done" as const;
    })();
    const outcome = await Promise.race([work, deadline]);
    clearTimeout(timer);
    if (outcome === "deadline") {
      controller.abort(new Error(`drain deadline of ${deadlineMs} ms passed`));
      const pending = ordered.slice(index).map((e) => e.hook.name);
      log?.warn({ pending, deadlineMs }, "drain deadline exceeded");
      // The running hook may still finish later; the phase then moves on to drained.
      void work.then(() => {
        if (index >= ordered.length) phase = LifecyclePhase.drained;
      });
      return { phase, deadlineExceeded: true, pending, failed: [...failed] };
    }
    phase = LifecyclePhase.drained;
    return { phase, deadlineExceeded: false, pending: [], failed };
  };

  return {
    get phase() {
      return phase;
    },
    startedAt: (options.now ?? (() => new Date()))(),
    get drainPromise() {
      return drainPromise;
    },
    markRunning() {
      if (phase === LifecyclePhase.starting) phase = LifecyclePhase.running;
    },
    onDrain(hook) {
      hooks.push({ hook, seq: hooks.length });
    },
    drain(drainOptions) {
      if (drainPromise === undefined) {
        phase = LifecyclePhase.draining;
        const requested = drainOptions?.deadlineMs ?? 0;
        const deadlineMs = requested > 0 ? requested : options.drainDeadlineMs;
        log?.info({ deadlineMs }, "draining");
        drainPromise = runDrain(deadlineMs);
      }
      return drainPromise;
    },
    addCounters(source) {
      counterSources.push(source);
    },
    counters() {
      const merged: Record<string, number> = {};
      for (const source of counterSources) Object.assign(merged, source());
      return merged;
    },
  };
}
