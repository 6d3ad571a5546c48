import { create, type JsonObject } from "@bufbuild/protobuf";
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import { LAKE, quoteString } from "@langtian/lake";
import {
  type ListSnapshotsRequest,
  type ListSnapshotsResponse,
  ListSnapshotsResponseSchema,
  type Snapshot,
  SnapshotSchema,
} from "@langtian/proto";
import { BadRequestError } from "../lake/lake-catalog.ts";
import { jsonOf, timestampOf } from "../sql/cells.ts";

const COLUMNS =
  "snapshot_id, snapshot_time, schema_version, changes, author, commit_message, commit_extra_info";

/** `ListSnapshots`: newest first, paged by `before_snapshot_id`. */
export async function listSnapshots(
  c: DuckDBConnection,
  request: ListSnapshotsRequest,
): Promise<ListSnapshotsResponse> {
  const limit = pageLimit(request.limit, 100, 1000);
  const before = request.beforeSnapshotId > 0n ? `WHERE snapshot_id < ${request.beforeSnapshotId}` : "";
  const reader = await c.runAndReadAll(
    `SELECT ${COLUMNS} FROM ${LAKE}.snapshots() ${before} ORDER BY snapshot_id DESC LIMIT ${limit}`,
  );
  return create(ListSnapshotsResponseSchema, { snapshots: reader.getRows().map(snapshotOf) });
}

/** Snapshots up to `snapshot` whose changes name `table` (inserted into, deleted from, created, altered), newest first. */
export async function listSnapshotsTouching(
  c: DuckDBConnection,
  table: string,
  snapshot: bigint,
  limit: number,
): Promise<Snapshot[]> {
  const reader = await c.runAndReadAll(
    `SELECT ${COLUMNS} FROM ${LAKE}.snapshots() WHERE snapshot_id <= ${snapshot} ` +
      `AND (list_contains(flatten(map_values(changes)), ${quoteString(table)}) ` +
      `OR list_contains(flatten(map_values(changes)), ${quoteString(`main.${table}`)}) ` +
      `OR list_contains(flatten(map_values(changes)), (SELECT CAST(table_id AS VARCHAR) FROM ${LAKE}.table_info() WHERE table_name = ${quoteString(table)}))) ` +
      `ORDER BY snapshot_id DESC LIMIT ${limit}`,
  );
  return reader.getRows().map(snapshotOf);
}

function snapshotOf(row: DuckDBValue[]): Snapshot {
  const [id, time, schemaVersion, changes, author, message, extra] = row;
  const changesJson = jsonOf(changes ?? null, undefined);
  const changesObject: JsonObject = {};
  if (Array.isArray(changesJson))
    for (const entry of changesJson) {
      const e = entry as { key: string; value: unknown };
      changesObject[String(e.key)] = e.value as JsonObject[string];
    }
  const snapshotTime = timestampOf(time ?? null);
  return create(SnapshotSchema, {
    snapshotId: BigInt(id as bigint),
    ...(snapshotTime !== undefined && { time: snapshotTime }),
    schemaVersion: BigInt((schemaVersion ?? 0n) as bigint),
    changes: changesObject,
    author: author === null ? "" : String(author),
    commitMessage: message === null ? "" : String(message),
    commitExtraInfo: extra === null ? "" : String(extra),
  });
}

/** A request's page size: the default when 0, refused beyond the maximum. */
export function pageLimit(requested: number, fallback: number, max: number): number {
  if (requested === 0) return fallback;
  if (requested > max) throw new BadRequestError(`at most ${max} per page (asked for ${requested})`);
  return requested;
}
