import { create } from "@bufbuild/protobuf";
import type { DuckDBConnection } from "@duckdb/node-api";
import { LAKE, quoteString } from "@langtian/lake";
import { type ChangesRequest, type ChangesResponse, ChangesResponseSchema } from "@langtian/proto";
import { BadRequestError, requireTable, resolveSnapshot, scalar } from "../lake/lake-catalog.ts";
import { columnsOf, rowsOf } from "../sql/cells.ts";
import { pageLimit } from "./snapshots.ts";

/**
 * `Changes`: rows inserted into or deleted from a table between two snapshots (both included),
 * DuckLake's `table_changes`, ordered by (snapshot_id, rowid). A consumer polls with the
 * returned `next_start_snapshot`; a change set larger than the page continues with `cursor`,
 * which keeps the first page's end so snapshots committed meanwhile wait for the next poll.
 * Snapshots expired by maintenance are gone from the feed: poll more often than they expire.
 */
export async function changes(c: DuckDBConnection, request: ChangesRequest): Promise<ChangesResponse> {
  const limit = pageLimit(request.limit, 1000, 10_000);
  if (request.startSnapshot < 0n) throw new BadRequestError("start_snapshot must not be negative");
  const resumed = request.cursor === "" ? undefined : decodeChangesCursor(request.cursor);
  const end =
    resumed?.end ?? (request.endSnapshot === 0n ? await resolveSnapshot(c, undefined) : request.endSnapshot);
  // Polling ahead of the lake: nothing yet, poll again from the same place.
  if (request.startSnapshot > end)
    return create(ChangesResponseSchema, { nextStartSnapshot: request.startSnapshot });
  await requireTable(c, request.table, end);
  const oldest = BigInt((await scalar(c, `SELECT min(snapshot_id) FROM ${LAKE}.snapshots()`)) as bigint);
  if (request.startSnapshot < oldest && request.startSnapshot > 0n)
    throw new BadRequestError(
      `snapshots before ${oldest} were expired: start at ${oldest} (changes in between are gone)`,
    );
  const after =
    resumed === undefined ? "" : `WHERE (snapshot_id, rowid) > (${resumed.snapshot}, ${resumed.rowid})`;
  const reader = await c.runAndReadAll(
    `SELECT * FROM ${LAKE}.table_changes(${quoteString(request.table)}, ${request.startSnapshot}, ${end}) ${after} ` +
      `ORDER BY snapshot_id, rowid LIMIT ${limit + 1}`,
  );
  const rows = reader.getRows();
  const page = rows.slice(0, limit);
  const more = rows.length > limit;
  const last = page.at(-1);
  const names = reader.columnNames();
  return create(ChangesResponseSchema, {
    columns: columnsOf(names, reader.columnTypes()),
    rows: rowsOf(page, reader.columnTypes()),
    nextStartSnapshot: more ? request.startSnapshot : end + 1n,
    cursor:
      more && last !== undefined
        ? encodeChangesCursor(
            BigInt(last[names.indexOf("snapshot_id")] as bigint),
            BigInt(last[names.indexOf("rowid")] as bigint),
            end,
          )
        : "",
  });
}

function encodeChangesCursor(snapshot: bigint, rowid: bigint, end: bigint): string {
  return Buffer.from(`${snapshot}:${rowid}:${end}`).toString("base64url");
}

/** The position after which a continued page starts, and the end it keeps. */
function decodeChangesCursor(cursor: string): { snapshot: bigint; rowid: bigint; end: bigint } {
  const m = /^(\d+):(\d+):(\d+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (m === null) throw new BadRequestError("malformed cursor: pass the returned cursor back unchanged");
  return { snapshot: BigInt(m[1] ?? 0), rowid: BigInt(m[2] ?? 0), end: BigInt(m[3] ?? 0) };
}
