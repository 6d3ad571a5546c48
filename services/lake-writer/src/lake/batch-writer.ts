import { type DuckDBConnection, DuckDBDataChunk } from "@duckdb/node-api";
import type { TableManager, TableSpec } from "../tables/table-manager.ts";
import { dataTable } from "../tables/table-manager.ts";
import { type CellValue, chunkValue, stagingType, stagingTypeName } from "./columns.ts";
import { runInTransaction } from "./lake-transaction.ts";
import { advancePartition, type PartitionLease } from "./partition-ledger.ts";
import { quoteIdent } from "./sql.ts";

/** Rows for one lake table, aligned with `spec.columns`. */
export interface TableRows {
  spec: TableSpec;
  rows: CellValue[][];
}

/** A partition's new position, committed with the rows that got it there. */
export interface PositionUpdate {
  lease: PartitionLease;
  nextPosition: bigint;
}

/** Everything one DuckLake snapshot commits. */
export interface LakeBatch {
  tables: readonly TableRows[];
  positions: readonly PositionUpdate[];
  /**
   * Extra statements run inside the same transaction after the inserts (e.g. window
   * state). Run again when the commit is retried.
   */
  extraStatements?: (connection: DuckDBConnection) => Promise<void>;
}

/** What a commit did. */
export interface BatchResult {
  rows: number;
  /** Commits that conflicted and were run again. */
  conflicts: number;
}

/** Options of {@link createBatchWriter}. */
export interface BatchWriterOptions {
  /** Connection dedicated to the writer (never shared with concurrent statements). */
  connection: DuckDBConnection;
  tables: TableManager;
  maxCommitRetries: number;
  onConflict?: () => void;
}

/** Commits batches: rows of several tables plus partition positions, atomically. */
export interface BatchWriter {
  /**
   * Writes the batch in one DuckLake transaction. Rows are first appended to in-memory
   * temporary tables (fast, and appending straight into DuckLake has been fragile), then
   * copied with `INSERT … SELECT` inside the transaction that also advances every
   * partition's position. Throws `PartitionFencedError` when a lease was lost: nothing
   * of the batch is then visible.
   */
  write(batch: LakeBatch): Promise<BatchResult>;
}

/** Builds a {@link BatchWriter}. */
export function createBatchWriter(options: BatchWriterOptions): BatchWriter {
  const { connection, tables } = options;
  return {
    async write(batch) {
      const staged: { stage: string; spec: TableSpec; count: number }[] = [];
      try {
        for (const [index, table] of batch.tables.entries()) {
          if (table.rows.length === 0) continue;
          await tables.ensure(table.spec);
          const stage = `stage_${index}`;
          await stageRows(connection, stage, table);
          staged.push({ stage, spec: table.spec, count: table.rows.length });
        }
        let conflicts = 0;
        await runInTransaction(
          connection,
          async () => {
            for (const { stage, spec } of staged) {
              const columns = spec.columns.map((c) => quoteIdent(c.name)).join(", ");
              await connection.run(
                `INSERT INTO ${dataTable(spec.name)} (${columns}) SELECT ${columns} FROM temp.main.${stage}`,
              );
            }
            await batch.extraStatements?.(connection);
            for (const { lease, nextPosition } of batch.positions) {
              await advancePartition(connection, lease, nextPosition);
            }
          },
          {
            maxRetries: options.maxCommitRetries,
            onConflict: () => {
              conflicts++;
              options.onConflict?.();
            },
          },
        );
        return { rows: staged.reduce((sum, s) => sum + s.count, 0), conflicts };
      } finally {
        for (const { stage } of staged) await connection.run(`DROP TABLE IF EXISTS temp.main.${stage}`);
      }
    },
  };
}

/** Rows per data chunk: DuckDB's vector size. */
const CHUNK_ROWS = 2048;

/**
 * Appends rows into a fresh in-memory temporary table `stage` with DuckDB's appender
 * (also the benchmark's raw baseline, so both measure the same staging path).
 */
export async function stageRows(
  connection: DuckDBConnection,
  stage: string,
  table: TableRows,
): Promise<void> {
  const { columns } = table.spec;
  const defs = columns.map((c) => `${quoteIdent(c.name)} ${stagingTypeName(c.type)}`).join(", ");
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${stage} (${defs})`);
  const appender = await connection.createAppender(stage, "main", "temp");
  const types = columns.map((c) => stagingType(c.type));
  try {
    // Column-wise data chunks: one native call per column instead of one per cell.
    for (let offset = 0; offset < table.rows.length; offset += CHUNK_ROWS) {
      const rows = table.rows.slice(offset, offset + CHUNK_ROWS);
      const chunk = DuckDBDataChunk.create(types, rows.length);
      chunk.setColumns(
        columns.map((column, i) => rows.map((row) => chunkValue(column.type, row[i] ?? null))),
      );
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
