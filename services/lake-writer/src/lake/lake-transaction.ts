import type { DuckDBConnection } from "@duckdb/node-api";
import { ErrorCode, LangtianError } from "@langtian/errors";

/** Thrown when a writer no longer owns a partition it tries to commit (a zombie after a rebalance). */
export class PartitionFencedError extends LangtianError {
  override readonly code = ErrorCode.aborted;
  override name = "PartitionFencedError";
  /** Source and partition the writer lost. */
  readonly partitions: readonly string[];
  constructor(partitions: readonly string[], options?: ErrorOptions) {
    super(`partition ownership lost: ${partitions.join(", ")}`, options);
    this.partitions = partitions;
  }
}

/** Thrown when a commit kept conflicting after every retry. */
export class CommitConflictError extends LangtianError {
  override readonly code = ErrorCode.aborted;
  override name = "CommitConflictError";
}

/**
 * True when DuckLake refused a commit because a concurrent snapshot touched the same
 * tables: the transaction can be run again from the start.
 */
export function isCommitConflict(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /conflict/i.test(message) && !(err instanceof PartitionFencedError);
}

/** Options of {@link runInTransaction}. */
export interface TransactionOptions {
  /** How many times a conflicting commit is run again before giving up. */
  maxRetries: number;
  /** Called before each retry, for metrics and logs. */
  onConflict?: (attempt: number, err: unknown) => void;
}

/**
 * Runs `body` inside `BEGIN … COMMIT` on `connection` (one DuckLake snapshot) and runs
 * it again when the commit conflicts with a concurrent one. Any other error rolls back
 * and is rethrown, {@link PartitionFencedError} included.
 */
export async function runInTransaction<T>(
  connection: DuckDBConnection,
  body: () => Promise<T>,
  options: TransactionOptions,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    await connection.run("BEGIN TRANSACTION");
    try {
      const result = await body();
      await connection.run("COMMIT");
      return result;
    } catch (err) {
      // A failed COMMIT has already ended the transaction; ROLLBACK then fails harmlessly.
      await connection.run("ROLLBACK").catch(() => undefined);
      if (!isCommitConflict(err)) throw err;
      if (attempt >= options.maxRetries) {
        throw new CommitConflictError(`commit still conflicting after ${attempt + 1} attempts`, {
          cause: err,
        });
      }
      options.onConflict?.(attempt + 1, err);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt * Math.random())));
    }
  }
}
