import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { DuckDBConnection } from "@duckdb/node-api";
import { LAKE } from "@langtian/lake";
import {
  type GetEventRequest,
  type GetEventResponse,
  GetEventResponseSchema,
  LineageSchema,
} from "@langtian/proto";
import {
  BadRequestError,
  columnsAt,
  isEventTable,
  NotFoundError,
  resolveSnapshot,
  tableAt,
  tablesAt,
} from "../lake/lake-catalog.ts";
import { columnsOf, rowsOf, timestampOf } from "../sql/cells.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How far from its id's time an event's receive time is looked for first. */
const ID_TIME_WINDOW_MS = 24 * 3600 * 1000;

/**
 * `GetEvent`: the event with this id in any event table, with its lineage. A UUIDv7 id carries
 * the time it was made, close to when the event was received: the lookup first reads only the
 * files whose `received_timestamp` statistics cover a day around it, and only when that finds
 * nothing every file (an id made long before the event was sent).
 */
export async function getEvent(c: DuckDBConnection, request: GetEventRequest): Promise<GetEventResponse> {
  const eventId = request.eventId.trim().toLowerCase();
  if (!UUID.test(eventId)) throw new BadRequestError("event_id must be a UUID");
  const snapshot = await resolveSnapshot(c, request.at);
  const tables: string[] = [];
  for (const table of await tablesAt(c, snapshot))
    if (isEventTable(await columnsAt(c, table, snapshot))) tables.push(table);
  const madeAtMs = uuidV7Ms(eventId);
  const windows =
    madeAtMs === undefined
      ? [undefined]
      : [{ from: madeAtMs - ID_TIME_WINDOW_MS, to: madeAtMs + ID_TIME_WINDOW_MS }, undefined];
  for (const window of windows) {
    for (const table of tables) {
      const found = await lookUp(c, table, snapshot, eventId, window);
      if (found !== undefined) return found;
    }
  }
  throw new NotFoundError(`no event ${eventId} in snapshot ${snapshot}`);
}

async function lookUp(
  c: DuckDBConnection,
  table: string,
  snapshot: bigint,
  eventId: string,
  window: { from: number; to: number } | undefined,
): Promise<GetEventResponse | undefined> {
  const params: Record<string, string> = { id: eventId };
  let condition = "event_id = $id";
  if (window !== undefined) {
    params.from = new Date(window.from).toISOString();
    params.to = new Date(window.to).toISOString();
    condition += " AND received_timestamp BETWEEN $from::TIMESTAMPTZ AND $to::TIMESTAMPTZ";
  }
  // The virtual columns (snapshot_id, filename) are read inside the time-travelled scan;
  // an alias cannot follow an AT clause, so the scan is a subquery.
  const reader = await c.runAndReadAll(
    `SELECT e.*, s.snapshot_time AS "__snapshot_time", s.commit_extra_info AS "__extra" FROM ` +
      `(SELECT *, snapshot_id AS "__snapshot_id", filename AS "__file" FROM ${tableAt(table, snapshot)} ` +
      `WHERE ${condition} LIMIT 1) AS e LEFT JOIN ${LAKE}.snapshots() AS s ON s.snapshot_id = e."__snapshot_id"`,
    params,
  );
  const row = reader.getRows()[0];
  if (row === undefined) return undefined;
  const names = reader.columnNames();
  const types = reader.columnTypes();
  const visible = names.findIndex((n) => n.startsWith("__"));
  const at = (name: string) => row[names.indexOf(name)] ?? null;
  const received = timestampOf(at("received_timestamp"));
  const snapshotTime = timestampOf(at("__snapshot_time"));
  const committed = committedAtMs(at("__extra"));
  return create(GetEventResponseSchema, {
    table,
    columns: columnsOf(names.slice(0, visible), types.slice(0, visible)),
    row: rowsOf([row.slice(0, visible)], types.slice(0, visible))[0],
    lineage: create(LineageSchema, {
      ...(received !== undefined && { receivedTime: received }),
      source: String(at("_source") ?? ""),
      partition: String(at("_partition") ?? ""),
      position: BigInt((at("_position") ?? 0n) as bigint),
      snapshotId: BigInt(at("__snapshot_id") as bigint),
      ...(snapshotTime !== undefined && { snapshotTime }),
      ...(committed !== undefined && { committedTime: timestampFromMs(committed) }),
      file: String(at("__file") ?? ""),
    }),
  });
}

/** The time in a UUIDv7 (its first 48 bits, ms since the epoch); undefined for other versions. */
export function uuidV7Ms(id: string): number | undefined {
  if (id[14] !== "7") return undefined;
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** `committed_at` of the commit's extra info, as the lake writer records it. */
function committedAtMs(extra: unknown): number | undefined {
  if (typeof extra !== "string" || extra === "") return undefined;
  try {
    const ms = Date.parse(String((JSON.parse(extra) as { committed_at?: unknown }).committed_at));
    return Number.isNaN(ms) ? undefined : ms;
  } catch {
    return undefined;
  }
}
