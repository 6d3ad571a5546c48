import type { IngestObserver } from "./ingest-loop.ts";

/** Options of {@link createProgressMonitor}. */
export interface ProgressMonitorOptions {
  observer?: IngestObserver;
  /** Base pause after a failure. Default 1000 ms. */
  retryDelayMs?: number;
  /** See {@link IngestLoopOptions.pollStallMs}. Default 5000 ms. */
  pollStallMs?: number;
  /** See {@link IngestLoopOptions.commitStallMs}. Default 120,000 ms. */
  commitStallMs?: number;
  /** True while the loop owns partitions to read (a writer with none cannot stall on reads). */
  reading(): boolean;
}

/**
 * Tracks whether the loop makes progress: failed commits (and claims) in a row, reads
 * failing or hanging, commits hanging; and the backoff after failures. Readiness follows
 * {@link ProgressMonitor.stalled}.
 */
export interface ProgressMonitor {
  /** Consecutive failed commits (or claims); 0 once one succeeds. */
  readonly commitFailures: number;
  commitFailed(err: unknown): void;
  commitSucceeded(): void;
  commitStarted(): void;
  commitEnded(): void;
  pollStarted(): void;
  pollSucceeded(): void;
  pollFailed(err: unknown): void;
  pollEnded(): void;
  /** Backoff after the n-th consecutive failure: the base delay doubled, at most 15×. */
  retryDelay(failures: number): number;
  /** Pause after a failed read: the base delay (a broker blip, not a pattern to back off from). */
  readonly pollRetryDelay: number;
  /** Why the loop cannot make progress right now, or undefined when it can. */
  stalled(): string | undefined;
}

/** Creates the progress monitor of one ingest loop (see {@link ProgressMonitor}). */
export function createProgressMonitor(options: ProgressMonitorOptions): ProgressMonitor {
  const { observer } = options;
  const base = options.retryDelayMs ?? 1000;
  let commitFailures = 0;
  let lastCommitError = "";
  /** When reads from the source started failing (or were last served); 0 while none failed. */
  let pollFailingSince = 0;
  let lastPollError = "";
  /** When the poll under way started; 0 while none is. */
  let pollStartedAt = 0;
  /** When the commit in flight started; 0 while none is. */
  let commitStartedAt = 0;

  return {
    get commitFailures() {
      return commitFailures;
    },
    commitFailed(err) {
      commitFailures++;
      lastCommitError = describe(err);
      observer?.commitFailed?.(err);
    },
    commitSucceeded() {
      commitFailures = 0;
    },
    commitStarted() {
      commitStartedAt = Date.now();
    },
    commitEnded() {
      commitStartedAt = 0;
    },
    pollStarted() {
      pollStartedAt = Date.now();
    },
    pollSucceeded() {
      pollFailingSince = 0;
    },
    pollFailed(err) {
      if (pollFailingSince === 0) pollFailingSince = Date.now();
      lastPollError = describe(err);
      observer?.pollFailed?.(err);
    },
    pollEnded() {
      pollStartedAt = 0;
    },
    retryDelay(failures) {
      return Math.min(base * 2 ** Math.max(0, failures - 1), base * 15);
    },
    pollRetryDelay: base,
    stalled() {
      if (commitFailures > 0) return `lake commits failing (${commitFailures} in a row): ${lastCommitError}`;
      // A commit that never settles (a storage write that hangs) stalls just as surely.
      if (commitStartedAt !== 0 && Date.now() - commitStartedAt > (options.commitStallMs ?? 120_000)) {
        return `a lake commit has been running for ${Math.round((Date.now() - commitStartedAt) / 1000)} s`;
      }
      if (!options.reading()) return undefined;
      const now = Date.now();
      if (pollFailingSince !== 0) {
        return `source unreadable for ${Math.round((now - pollFailingSince) / 1000)} s: ${lastPollError}`;
      }
      // A read that hangs (no answer, no error) stalls progress just as surely.
      if (pollStartedAt !== 0 && now - pollStartedAt > (options.pollStallMs ?? 5000)) {
        return `a read from the source has been waiting for ${Math.round((now - pollStartedAt) / 1000)} s`;
      }
      return undefined;
    },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
