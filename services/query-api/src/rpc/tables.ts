import { create } from "@bufbuild/protobuf";
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  type DescribeTableRequest,
  type DescribeTableResponse,
  DescribeTableResponseSchema,
  type ListTablesRequest,
  type ListTablesResponse,
  ListTablesResponseSchema,
  TableSummarySchema,
} from "@langtian/proto";
import {
  columnsAt,
  fileStats,
  isEventTable,
  partitioningOf,
  requireTable,
  resolveSnapshot,
  scalar,
  tableAt,
  tablesAt,
} from "../lake/lake-catalog.ts";
import { listSnapshotsTouching } from "./snapshots.ts";

/** `ListTables`: every table of the snapshot with rows, files and bytes. */
export async function listTables(
  c: DuckDBConnection,
  request: ListTablesRequest,
): Promise<ListTablesResponse> {
  const snapshot = await resolveSnapshot(c, request.at);
  const files = await fileStats(c);
  const tables = [];
  for (const name of await tablesAt(c, snapshot)) {
    const columns = await columnsAt(c, name, snapshot);
    const rows = BigInt((await scalar(c, `SELECT count(*) FROM ${tableAt(name, snapshot)}`)) as bigint);
    const stats = files.get(name);
    tables.push(
      create(TableSummarySchema, {
        name,
        rows,
        files: stats?.files ?? 0n,
        bytes: stats?.bytes ?? 0n,
        eventTable: isEventTable(columns),
      }),
    );
  }
  return create(ListTablesResponseSchema, { tables, snapshotId: snapshot });
}

/** `DescribeTable`: columns, size, partitioning and the snapshots that changed the table. */
export async function describeTable(
  c: DuckDBConnection,
  request: DescribeTableRequest,
): Promise<DescribeTableResponse> {
  const snapshot = await resolveSnapshot(c, request.at);
  await requireTable(c, request.table, snapshot);
  const columns = await columnsAt(c, request.table, snapshot);
  const rows = BigInt(
    (await scalar(c, `SELECT count(*) FROM ${tableAt(request.table, snapshot)}`)) as bigint,
  );
  const stats = (await fileStats(c)).get(request.table);
  return create(DescribeTableResponseSchema, {
    summary: {
      name: request.table,
      rows,
      files: stats?.files ?? 0n,
      bytes: stats?.bytes ?? 0n,
      eventTable: isEventTable(columns),
    },
    columns,
    partitioning: await partitioningOf(c, request.table, snapshot),
    snapshots: await listSnapshotsTouching(c, request.table, snapshot, 100),
    snapshotId: snapshot,
  });
}
