import { create } from "@bufbuild/protobuf";
import type { DuckDBConnection } from "@duckdb/node-api";
import { quoteIdent } from "@langtian/lake";
import {
  type BrowseRequest,
  type BrowseResponse,
  BrowseResponseSchema,
  Direction,
  type EventFilter,
} from "@langtian/proto";
import {
  BadRequestError,
  columnsAt,
  isEventTable,
  requireTable,
  resolveSnapshot,
  tableAt,
} from "../lake/lake-catalog.ts";
import { columnsOf, jsonOf, rowsOf } from "../sql/cells.ts";
import { type BrowseCursor, decodeCursor, encodeCursor } from "./browse-cursor.ts";
import { whereOf } from "./event-filter.ts";
import { pageLimit } from "./snapshots.ts";

/**
 * `Browse`: one page of a table's events in (event_timestamp, event_id) order, by keyset (the
 * last key seen, never OFFSET, so page 10,000 costs what page 1 does). The first page pins the
 * snapshot; every cursor carries it, so pages stay stable while ingest goes on.
 */
export async function browse(c: DuckDBConnection, request: BrowseRequest): Promise<BrowseResponse> {
  const cursor = request.cursor === "" ? undefined : decodeCursor(request.cursor);
  const filter: EventFilter | undefined = cursor?.filter ?? request.filter;
  if (filter === undefined) throw new BadRequestError("give a filter naming the table (or a cursor)");
  const snapshot = cursor?.snapshot ?? (await resolveSnapshot(c, request.at));
  const pageSize = cursor?.pageSize ?? pageLimit(request.pageSize, 100, 1000);
  const backward = cursor?.backward ?? request.direction === Direction.BACKWARD;
  await requireTable(c, filter.table, snapshot);
  const columns = await columnsAt(c, filter.table, snapshot);
  if (!isEventTable(columns))
    throw new BadRequestError(`table ${filter.table} is not an event table: read it with Sql`);
  const where = whereOf(filter, columns);
  const conditions = [where.sql];
  const params = { ...where.params };
  if (cursor !== undefined) {
    params.after_ts = cursor.after.timestamp;
    params.after_id = cursor.after.eventId;
    // The `>=`/`<=` on the timestamp alone lets DuckLake prune files and row groups.
    conditions.push(
      backward
        ? "event_timestamp <= $after_ts::TIMESTAMPTZ AND (event_timestamp < $after_ts::TIMESTAMPTZ OR event_id < $after_id)"
        : "event_timestamp >= $after_ts::TIMESTAMPTZ AND (event_timestamp > $after_ts::TIMESTAMPTZ OR event_id > $after_id)",
    );
  }
  const order = backward ? "DESC" : "ASC";
  const reader = await c.runAndReadAll(
    `SELECT * FROM ${tableAt(filter.table, snapshot)} WHERE ${conditions.join(" AND ")} ` +
      `ORDER BY event_timestamp ${order}, event_id ${order} LIMIT ${pageSize + 1}`,
    params,
  );
  const types = reader.columnTypes();
  const names = reader.columnNames();
  const all = reader.getRows();
  const page = all.slice(0, pageSize);
  const tsIndex = names.indexOf("event_timestamp");
  const idIndex = names.indexOf("event_id");
  const keyOf = (row: (typeof page)[number]) => ({
    timestamp: String(jsonOf(row[tsIndex] ?? null, types[tsIndex])),
    eventId: String(row[idIndex]),
  });
  const base: Omit<BrowseCursor, "after" | "backward"> = { snapshot, filter, pageSize };
  const last = page.at(-1);
  const first = page[0];
  return create(BrowseResponseSchema, {
    columns: columnsOf(names, types),
    rows: rowsOf(page, types),
    nextCursor:
      all.length > pageSize && last !== undefined
        ? encodeCursor({ ...base, backward, after: keyOf(last) })
        : "",
    previousCursor:
      cursor !== undefined && first !== undefined
        ? encodeCursor({ ...base, backward: !backward, after: keyOf(first) })
        : "",
    snapshotId: snapshot,
  });
}

/** The quoted column list of a table, for statements that must not use `*`. */
export function columnList(names: readonly string[]): string {
  return names.map(quoteIdent).join(", ");
}
