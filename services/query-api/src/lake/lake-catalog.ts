import type { DuckDBConnection } from "@duckdb/node-api";
import { ErrorCode, LangtianError } from "@langtian/errors";
import { LAKE, quoteIdent, quoteString } from "@langtian/lake";
import type { At } from "@langtian/proto";
import { rfc3339OfTimestamp } from "../sql/cells.ts";

/** DuckLake's metadata catalog attached beside the lake (read by our own statements only). */
const METADATA = `__ducklake_metadata_${LAKE}`;

/** The columns every event table starts with (written by the lake writer). */
export const EVENT_COLUMNS = ["event_id", "event_type", "event_timestamp", "source_system"] as const;

/** A table (or snapshot, column) the request names does not exist. */
export class NotFoundError extends LangtianError {
  override readonly name = "NotFoundError";
  override readonly code = ErrorCode.notFound;
}

/** A request names something malformed. */
export class BadRequestError extends LangtianError {
  override readonly name = "BadRequestError";
  override readonly code = ErrorCode.invalidArgument;
}

/** One column of a table. */
export interface TableColumn {
  readonly name: string;
  readonly type: string;
}

/** The snapshot id an `At` selects: the latest without one. */
export async function resolveSnapshot(connection: DuckDBConnection, at: At | undefined): Promise<bigint> {
  switch (at?.at.case) {
    case "snapshotId": {
      const id = at.at.value;
      const found = await scalar(
        connection,
        `SELECT count(*) FROM ${LAKE}.snapshots() WHERE snapshot_id = ${id}`,
      );
      if (Number(found) === 0) throw new NotFoundError(`snapshot ${id} does not exist (or was expired)`);
      return id;
    }
    case "time": {
      const iso = rfc3339OfTimestamp(at.at.value);
      const id = await scalar(
        connection,
        `SELECT max(snapshot_id) FROM ${LAKE}.snapshots() WHERE snapshot_time <= ${quoteString(iso)}::TIMESTAMPTZ`,
      );
      if (id === null || id === undefined)
        throw new NotFoundError(`the lake has no snapshot at or before ${iso}`);
      return BigInt(id as bigint);
    }
    default:
      return BigInt((await scalar(connection, `SELECT id FROM ${LAKE}.current_snapshot()`)) as bigint);
  }
}

/** Tables of the lake's main schema as of `snapshot`. */
export async function tablesAt(connection: DuckDBConnection, snapshot: bigint): Promise<string[]> {
  // Only the main schema: the lake writer's partition ledger lives in a schema of its own.
  const reader = await connection.runAndReadAll(
    `SELECT t.table_name FROM ${METADATA}.ducklake_table t JOIN ${METADATA}.ducklake_schema s USING (schema_id) ` +
      `WHERE s.schema_name = 'main' AND ${live("t", snapshot)} AND ${live("s", snapshot)} ORDER BY t.table_name`,
  );
  return reader.getRows().map((r) => String(r[0]));
}

/** Refuses a table name that is not a table of the lake at `snapshot`. */
export async function requireTable(
  connection: DuckDBConnection,
  table: string,
  snapshot: bigint,
): Promise<void> {
  if (table === "") throw new BadRequestError("name a table (ListTables lists them)");
  const tables = await tablesAt(connection, snapshot);
  if (!tables.includes(table))
    throw new NotFoundError(`table ${JSON.stringify(table)} does not exist in snapshot ${snapshot}`);
}

/** A table's columns as of `snapshot`, in table order. */
export async function columnsAt(
  connection: DuckDBConnection,
  table: string,
  snapshot: bigint,
): Promise<TableColumn[]> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${tableAt(table, snapshot)}`);
  return reader.getRows().map((r) => ({ name: String(r[0]), type: String(r[1]) }));
}

/** `lake."table" AT (VERSION => n)`. */
export function tableAt(table: string, snapshot: bigint): string {
  return `${LAKE}.${quoteIdent(table)} AT (VERSION => ${snapshot})`;
}

/** Whether the columns are those of an event table. */
export function isEventTable(columns: readonly TableColumn[]): boolean {
  const names = new Set(columns.map((c) => c.name));
  return EVENT_COLUMNS.every((c) => names.has(c));
}

/** Data files and bytes per table (current). */
export async function fileStats(
  connection: DuckDBConnection,
): Promise<Map<string, { files: bigint; bytes: bigint }>> {
  const reader = await connection.runAndReadAll(
    `SELECT table_name, file_count, file_size_bytes FROM ${LAKE}.table_info()`,
  );
  return new Map(
    reader
      .getRows()
      .map((r) => [String(r[0]), { files: BigInt(r[1] as bigint), bytes: BigInt(r[2] as bigint) }]),
  );
}

/** Partitioning expressions of a table, e.g. `day(event_timestamp)`. */
export async function partitioningOf(
  connection: DuckDBConnection,
  table: string,
  snapshot: bigint,
): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT pc.transform, c.column_name FROM ${METADATA}.ducklake_partition_info p ` +
      `JOIN ${METADATA}.ducklake_partition_column pc USING (partition_id, table_id) ` +
      `JOIN ${METADATA}.ducklake_table t ON t.table_id = p.table_id ` +
      `JOIN ${METADATA}.ducklake_column c ON c.table_id = p.table_id AND c.column_id = pc.column_id ` +
      `WHERE t.table_name = ${quoteString(table)} AND t.begin_snapshot <= ${snapshot} AND (t.end_snapshot IS NULL OR t.end_snapshot > ${snapshot}) ` +
      `AND p.begin_snapshot <= ${snapshot} AND (p.end_snapshot IS NULL OR p.end_snapshot > ${snapshot}) ` +
      `AND c.begin_snapshot <= ${snapshot} AND (c.end_snapshot IS NULL OR c.end_snapshot > ${snapshot}) ` +
      "ORDER BY pc.partition_key_index",
  );
  return reader
    .getRows()
    .map(([transform, column]) =>
      transform === "identity" ? String(column) : `${String(transform)}(${String(column)})`,
    );
}

/** A metadata row alive in `snapshot` (DuckLake's begin/end snapshot convention). */
function live(alias: string, snapshot: bigint): string {
  return `${alias}.begin_snapshot <= ${snapshot} AND (${alias}.end_snapshot IS NULL OR ${alias}.end_snapshot > ${snapshot})`;
}

/** The first cell of the first row of a statement. */
export async function scalar(connection: DuckDBConnection, sql: string): Promise<unknown> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRows()[0]?.[0];
}
