import type { DuckDBConnection } from "@duckdb/node-api";
import { ErrorCode, LangtianError } from "@langtian/errors";
import type { ConfinedLake } from "../lake/confined-lake.ts";

/** A statement ran out of its time limit. */
export class QueryTimeoutError extends LangtianError {
  override readonly name = "QueryTimeoutError";
  override readonly code = ErrorCode.deadlineExceeded;
}

/** The caller went away or the service is draining. */
export class QueryCanceledError extends LangtianError {
  override readonly name = "QueryCanceledError";
  override readonly code = ErrorCode.canceled;
}

/** DuckDB refused the statement for what it asks (binder, catalog, conversion, permission). */
export class QueryFailedError extends LangtianError {
  override readonly name = "QueryFailedError";
  override readonly code = ErrorCode.invalidArgument;
}

/** The statement needed more memory or temp space than the sandbox allows. */
export class QueryTooLargeError extends LangtianError {
  override readonly name = "QueryTooLargeError";
  override readonly code = ErrorCode.resourceExhausted;
}

/** How often an aborted statement is interrupted again until it stops. */
const INTERRUPT_REPEAT_MS = 50;

/** Limits of one run. */
export interface RunOptions {
  /** Interrupted after this long, waiting for a slot included. */
  readonly timeoutMs: number;
  /** Aborted: the client went away or the drain cancels. */
  readonly signal?: AbortSignal | undefined;
}

/** Runs work on the lake, each on a connection of its own, a bounded number at once. */
export interface QueryRunner {
  /**
   * Runs `work` on a connection of its own. `signal` aborts when the limit passes or the caller
   * goes away: work that waits on something other than DuckDB (a slow client) must stop on it.
   */
  run<T>(
    work: (connection: DuckDBConnection, signal: AbortSignal) => Promise<T>,
    options: RunOptions,
  ): Promise<T>;
  /** Statements running now. */
  running(): number;
  /** Statements waiting for a slot. */
  waiting(): number;
}

/**
 * Creates the runner. A statement that runs past its limit, or whose caller aborts, is
 * interrupted inside DuckDB (not merely abandoned), so it stops using threads and memory.
 * DuckDB's own errors are classified: out of memory or temp space → `resource_exhausted`, an
 * interrupt → `deadline_exceeded` or `canceled`, anything the statement asked for wrongly →
 * `invalid_argument` with DuckDB's message.
 */
export function createQueryRunner(lake: ConfinedLake, maxConcurrent: number): QueryRunner {
  let active = 0;
  const queue: (() => void)[] = [];
  const acquire = (signal: AbortSignal): Promise<void> => {
    if (active < maxConcurrent) {
      active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        active++;
        resolve();
      };
      const onAbort = () => {
        const i = queue.indexOf(grant);
        if (i >= 0) queue.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      queue.push(grant);
    });
  };
  const release = () => {
    active--;
    queue.shift()?.();
  };

  return {
    running: () => active,
    waiting: () => queue.length,
    async run(work, options) {
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const signal = options.signal === undefined ? deadline : AbortSignal.any([deadline, options.signal]);
      const why = () =>
        deadline.aborted
          ? new QueryTimeoutError(`the statement ran longer than its limit of ${options.timeoutMs} ms`)
          : new QueryCanceledError("the request was canceled");
      try {
        await acquire(signal);
      } catch {
        throw why();
      }
      let connection: DuckDBConnection | undefined;
      // An interrupt only stops what runs at that moment: one that lands between two calls
      // (the guard's check, prepare, the next chunk) is lost and the next call runs unbounded.
      // So once aborted, interrupt again and again until the work gives up.
      let repeat: ReturnType<typeof setInterval> | undefined;
      const interrupt = () => {
        connection?.interrupt();
        repeat ??= setInterval(() => connection?.interrupt(), INTERRUPT_REPEAT_MS);
      };
      signal.addEventListener("abort", interrupt, { once: true });
      try {
        connection = await lake.connect();
        if (signal.aborted) throw why();
        return await work(connection, signal);
      } catch (err) {
        if (signal.aborted) throw why();
        throw classify(err);
      } finally {
        signal.removeEventListener("abort", interrupt);
        clearInterval(repeat);
        connection?.closeSync();
        release();
      }
    },
  };
}

function classify(err: unknown): unknown {
  if (err instanceof LangtianError || !(err instanceof Error)) return err;
  const message = err.message;
  if (/^Out of Memory Error|could not allocate|max_temp_directory_size/i.test(message))
    return new QueryTooLargeError(
      `the statement needs more memory or temp space than allowed: ${firstLine(message)}`,
      {
        cause: err,
      },
    );
  if (
    /^(Binder|Catalog|Parser|Conversion|Invalid Input|Permission|Not implemented|Out of Range) Error/i.test(
      message,
    )
  )
    return new QueryFailedError(firstLine(message), { cause: err });
  return err;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
