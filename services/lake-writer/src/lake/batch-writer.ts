import { type DuckDBConnection, DuckDBDataChunk } from "@duckdb/node-api";
import bindings from "@duckdb/node-bindings";
import { quoteIdent } from "@langtian/lake";
import type { SqlColumn, TableManager, TableSpec } from "../tables/table-manager.ts";
import { dataTable } from "../tables/table-manager.ts";
import type { Transform } from "../transforms/pipeline.ts";
import { applyWindows, prepareWindows, type WindowSpec } from "../transforms/windows.ts";
import { type CellValue, stagingType, stagingTypeName } from "./columns.ts";
import { recordCommitMetadata } from "./commit-metadata.ts";
import { dropLakeDuplicates } from "./drop-lake-duplicates.ts";
import { fillVector } from "./fill-vector.ts";
import { runInTransaction } from "./lake-transaction.ts";
import { advancePartition, type PartitionLease, readWatermark } from "./partition-ledger.ts";

/** Rows for one lake table, aligned with `spec.columns`. */
export interface TableRows {
  spec: TableSpec;
  rows: CellValue[][];
}

/** A partition's new position, committed with the rows that got it there. */
export interface PositionUpdate {
  lease: PartitionLease;
  nextPosition: bigint;
  /**
   * The position the ledger must still hold (null: none yet) for the commit to go through;
   * undefined: not checked. A commit reported failed may have landed after all (its COMMIT
   * reached the catalog before the connection broke); checking keeps a batch re-read on top
   * of the old position from landing twice.
   */
  expected?: bigint | null;
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
  /** Events too late for their window (kept in their event table, left out of windows). */
  lateEvents: number;
  /** Event rows left out because the lake already held their event id. */
  duplicates: number;
}

/** Options of {@link createBatchWriter}. */
export interface BatchWriterOptions {
  /** Connection dedicated to the writer (never shared with concurrent statements). */
  connection: DuckDBConnection;
  tables: TableManager;
  maxCommitRetries: number;
  onConflict?: () => void;
  /** SQL transforms run over each batch; their rows commit in the same transaction. */
  transforms?: readonly Transform[];
  /** Event-time windows; their state and output commit in the same transaction. */
  windows?: readonly WindowSpec[];
  /**
   * Leave out event rows whose event id the lake table already holds (see
   * `dropLakeDuplicates`), before transforms and windows see the batch. Default false.
   */
  dedupe?: boolean;
  /**
   * The writer's instance id, recorded as each commit's author (`lake.snapshots()`).
   * Default: the owner of the batch's first partition lease (the same id in the service).
   */
  author?: string;
}

/** Commits batches: rows of several tables plus partition positions, atomically. */
export interface BatchWriter {
  /**
   * Writes the batch in one DuckLake transaction. Rows are first appended to in-memory
   * temporary tables (fast, and appending straight into DuckLake has been fragile), then
   * copied with `INSERT … SELECT` inside the transaction that also advances every
   * partition's position. The snapshot records the author, `ingest` and the commit's time
   * (see `recordCommitMetadata`). Throws `PartitionFencedError` when a lease was lost:
   * nothing of the batch is then visible.
   */
  write(batch: LakeBatch): Promise<BatchResult>;
}

/** Builds a {@link BatchWriter}. */
export function createBatchWriter(options: BatchWriterOptions): BatchWriter {
  const { connection, tables } = options;
  return {
    async write(batch) {
      const staged: { stage: string; spec: TableSpec<SqlColumn>; count: number }[] = [];
      let duplicates = 0;
      try {
        for (const [index, table] of batch.tables.entries()) {
          if (table.rows.length === 0) continue;
          await tables.ensure(table.spec);
          const stage = `stage_${index}`;
          await stageRows(connection, stage, table);
          let count = table.rows.length;
          if (options.dedupe && isEventTable(table.spec)) {
            const dropped = await dropLakeDuplicates(
              connection,
              stage,
              dataTable(table.spec.name, table.spec.schema),
            );
            duplicates += dropped;
            count -= dropped;
          }
          staged.push({ stage, spec: table.spec, count });
        }
        for (const [index, transform] of (options.transforms ?? []).entries()) {
          const input = staged.find((s) => s.spec.name === transform.input);
          if (!input) continue;
          const stage = `transform_${index}`;
          // Every column of the lake table, not only those this batch happens to fill (a
          // batch of typed rows has no `payload`, one of another type lacks its columns):
          // a transform sees the same `batch` schema whatever the batch holds.
          await connection.run(
            `CREATE OR REPLACE TEMP TABLE batch AS SELECT * FROM (FROM ${dataTable(input.spec.name, input.spec.schema)} LIMIT 0) ` +
              `UNION ALL BY NAME FROM temp.main.${input.stage}`,
          );
          await connection.run(`CREATE OR REPLACE TEMP TABLE ${stage} AS ${transform.sql}`);
          const described = await connection.runAndReadAll(`DESCRIBE temp.main.${stage}`);
          const columns = described.getRows().map((r) => ({ name: String(r[0]), type: String(r[1]) }));
          const spec = { name: transform.output, columns };
          await tables.ensure(spec);
          const count = await connection.runAndReadAll(`SELECT count(*) FROM temp.main.${stage}`);
          staged.push({ stage, spec, count: Number(count.getRows()[0]?.[0] ?? 0) });
        }
        const windows = await prepareWindows(
          connection,
          tables,
          options.windows ?? [],
          staged,
          batch.positions.map((p) => p.lease),
        );
        let conflicts = 0;
        let lateEvents = 0;
        const rows = staged.reduce((sum, s) => sum + s.count, 0);
        const author = options.author ?? batch.positions[0]?.lease.owner ?? "lake-writer";
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
            let watermarks = new Map<string, bigint>();
            if (windows.length > 0) {
              const current = [];
              for (const { lease } of batch.positions) {
                current.push({ lease, watermark: await readWatermark(connection, lease) });
              }
              const applied = await applyWindows(connection, windows, current);
              watermarks = applied.watermarks;
              lateEvents = applied.lateEvents;
            }
            for (const { lease, nextPosition, expected } of batch.positions) {
              await advancePartition(connection, lease, nextPosition, watermarks.get(lease.table), expected);
            }
            // Last before COMMIT: its time is as close to the commit as the writer can know.
            await recordCommitMetadata(connection, author, rows);
          },
          {
            maxRetries: options.maxCommitRetries,
            onConflict: () => {
              conflicts++;
              options.onConflict?.();
            },
          },
        );
        return { rows, conflicts, lateEvents, duplicates };
      } finally {
        await connection.run("DROP TABLE IF EXISTS temp.main.batch");
        await connection.run("DROP TABLE IF EXISTS temp.main.window_probe");
        for (const { stage } of staged) await connection.run(`DROP TABLE IF EXISTS temp.main.${stage}`);
      }
    },
  };
}

/** Event tables (not dead letters, not transform outputs) carry the identity dedupe keys on. */
function isEventTable(spec: TableSpec): boolean {
  return spec.partitionByDayOf === "event_timestamp" && spec.columns.some((c) => c.name === "event_id");
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
    // Column-wise data chunks, each column written with one copy (see fillVector).
    for (let offset = 0; offset < table.rows.length; offset += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, table.rows.length - offset);
      const chunk = DuckDBDataChunk.create(types, count);
      for (const [i, column] of columns.entries()) {
        fillVector(bindings.data_chunk_get_vector(chunk.chunk, i), column.type, table.rows, i, offset, count);
      }
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
