import { create } from "@bufbuild/protobuf";
import type { DuckDBConnection, DuckDBTimestampTZValue } from "@duckdb/node-api";
import { LAKE, quoteIdent } from "@langtian/lake";
import { type LakeOverview, LakeOverviewSchema, LakeTableSchema } from "@langtian/proto";
import type { ReadOnlyLake } from "../read-only-lake.ts";
import { type LakePositions, positionKey } from "./kafka.ts";

/** Where the lake writer keeps its per-partition positions (its `lake_writer` schema). */
const STATE_SCHEMA = "lake_writer";
const METADATA = `__ducklake_metadata_${LAKE}`;

/** The lake, read-only, for the overview. */
export interface LakeReader {
  /** Tables, the latest snapshot and the writer's stored positions. */
  read(): Promise<{ overview: LakeOverview; positions: LakePositions | undefined }>;
}

/**
 * Reads the lake for the overview (read-only; its catalog must admit several processes: SQLite
 * or PostgreSQL). A read that fails (the lake may not exist before the first commit) gets
 * `error`; the next read tries again.
 */
export function createLakeReader(lake: ReadOnlyLake): LakeReader {
  return {
    async read() {
      try {
        const connection = await lake.connection("overview");
        return { overview: await readOverview(connection), positions: await readPositions(connection) };
      } catch (err) {
        return {
          overview: create(LakeOverviewSchema, { error: err instanceof Error ? err.message : String(err) }),
          positions: undefined,
        };
      }
    },
  };
}

async function readOverview(c: DuckDBConnection): Promise<LakeOverview> {
  const snapshot = (await c.runAndReadAll(`SELECT id FROM ${LAKE}.current_snapshot()`)).getRows()[0]?.[0];
  const last = (
    await c.runAndReadAll(
      `SELECT snapshot_time, commit_extra_info FROM ${LAKE}.snapshots() ORDER BY snapshot_id DESC LIMIT 1`,
    )
  ).getRows()[0];
  const info = await c.runAndReadAll(
    `SELECT i.table_name, i.file_count, i.file_size_bytes FROM ${LAKE}.table_info() i ` +
      `JOIN ${METADATA}.ducklake_table t ON t.table_id = i.table_id AND t.end_snapshot IS NULL ` +
      `JOIN ${METADATA}.ducklake_schema s ON s.schema_id = t.schema_id AND s.end_snapshot IS NULL ` +
      "WHERE s.schema_name = 'main' ORDER BY i.table_name",
  );
  const tables = [];
  for (const [name, files, bytes] of info.getRows()) {
    const rows = (
      await c.runAndReadAll(`SELECT count(*) FROM ${LAKE}.${quoteIdent(String(name))}`)
    ).getRows()[0]?.[0];
    tables.push(
      create(LakeTableSchema, {
        name: String(name),
        rows: BigInt((rows ?? 0n) as bigint),
        files: BigInt(files as bigint),
        bytes: BigInt(bytes as bigint),
      }),
    );
  }
  const committedMs = commitTimeMs(last?.[1], last?.[0] as DuckDBTimestampTZValue | undefined);
  return create(LakeOverviewSchema, {
    tables,
    snapshotId: BigInt((snapshot ?? 0n) as bigint),
    ...(committedMs !== undefined && {
      lastCommitTime: { seconds: BigInt(Math.floor(committedMs / 1000)), nanos: (committedMs % 1000) * 1e6 },
    }),
  });
}

/** The writer's recorded commit time, else the snapshot's (which is when its transaction began). */
function commitTimeMs(extra: unknown, snapshotTime: DuckDBTimestampTZValue | undefined): number | undefined {
  if (typeof extra === "string") {
    try {
      const ms = Date.parse(String((JSON.parse(extra) as { committed_at?: unknown }).committed_at));
      if (!Number.isNaN(ms)) return ms;
    } catch {
      // Not the writer's JSON: fall back to the snapshot time.
    }
  }
  return snapshotTime === undefined ? undefined : Number(snapshotTime.micros / 1000n);
}

/** Every partition position the lake writer stored: one one-row ledger table per partition. */
async function readPositions(c: DuckDBConnection): Promise<LakePositions> {
  const tables = (
    await c.runAndReadAll(
      `SELECT table_name FROM duckdb_tables() WHERE database_name = '${LAKE}' AND schema_name = '${STATE_SCHEMA}' AND table_name LIKE 'pos\\_%' ESCAPE '\\'`,
    )
  ).getRows();
  const positions = new Map<string, bigint>();
  if (tables.length === 0) return positions;
  const union = tables
    .map(
      ([t]) =>
        `SELECT source, partition_id, next_position FROM ${LAKE}.${STATE_SCHEMA}.${quoteIdent(String(t))}`,
    )
    .join(" UNION ALL ");
  for (const [source, partition, next] of (await c.runAndReadAll(union)).getRows()) {
    if (next !== null) positions.set(positionKey(String(source), String(partition)), BigInt(next as bigint));
  }
  return positions;
}
