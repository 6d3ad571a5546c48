import type { DuckDBConnection } from "@duckdb/node-api";
import { LAKE, quoteString } from "@langtian/lake";

/** The JSON a lake writer commit stores as its snapshot's `commit_extra_info`. */
export interface CommitExtraInfo {
  /** When the commit was issued: ISO-8601 UTC with milliseconds, taken just before `COMMIT`. */
  readonly committed_at: string;
  /** The writer's instance id (also the snapshot's `author`). */
  readonly writer: string;
  /** Rows the commit wrote into lake tables. */
  readonly rows: number;
}

/** The snapshot's `commit_message` of a batch commit. */
export const INGEST_COMMIT_MESSAGE = "ingest";

/**
 * Records who committed, what and when on the snapshot the open transaction will create
 * (`lake.snapshots()`: `author`, `commit_message`, `commit_extra_info`). Call it last in the
 * transaction, right before `COMMIT`. DuckLake's own `snapshot_time` is when the transaction
 * BEGAN, so a reader asking when rows became visible (lineage) reads `committed_at` instead.
 */
export async function recordCommitMetadata(
  connection: DuckDBConnection,
  writer: string,
  rows: number,
  now: Date = new Date(),
): Promise<void> {
  const info: CommitExtraInfo = { committed_at: now.toISOString(), writer, rows };
  await connection.run(
    `CALL ${LAKE}.set_commit_message(${quoteString(writer)}, ${quoteString(INGEST_COMMIT_MESSAGE)}, ` +
      `extra_info => ${quoteString(JSON.stringify(info))})`,
  );
}
