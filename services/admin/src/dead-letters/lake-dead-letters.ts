import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { DuckDBConnection, DuckDBTimestampTZValue } from "@duckdb/node-api";
import { LAKE } from "@langtian/lake";
import { type DeadLetter, DeadLetterOriginSchema, DeadLetterSchema } from "@langtian/proto";
import type { ReadOnlyLake } from "../read-only-lake.ts";

/** The stage name of the lake writer's dead letters. */
export const LAKE_WRITER_STAGE = "lake-writer";

/** What a list of dead letters selects. */
export interface DeadLetterQuery {
  readonly reason: string;
  /** Failed at or after (ms), when set. */
  readonly sinceMs: number | undefined;
  /** Failed before (ms), when set. */
  readonly untilMs: number | undefined;
  /** Only entries older than this (failed-at ms, then id): the previous page's last. */
  readonly before: { readonly ms: number; readonly id: string } | undefined;
  readonly limit: number;
}

/** The lake writer's dead letters: the `dead_letters` table of the lake, read-only. */
export interface LakeDeadLetters {
  list(q: DeadLetterQuery): Promise<DeadLetter[]>;
  /** One by its origin (source, partition, position), raw bytes included. */
  get(source: string, partition: string, position: bigint): Promise<DeadLetter | undefined>;
}

/** `lake-writer/<source>/<partition>/<position>`: the origin is unique per row. */
export function lakeDeadLetterId(source: string, partition: string, position: bigint): string {
  return `${LAKE_WRITER_STAGE}/${source}/${partition}/${position}`;
}

/** {@link lakeDeadLetterId} in SQL. */
const ID_SQL = `'${LAKE_WRITER_STAGE}/' || _source || '/' || _partition || '/' || CAST(_position AS VARCHAR)`;

const COLUMNS =
  "_source, _partition, _position, error_kind, error, event_id, event_type, failed_at, octet_length(raw)";

/** Reads the lake's `dead_letters` table (read-only; a lake not created yet fails that call only). */
export function createLakeDeadLetters(lake: ReadOnlyLake): LakeDeadLetters {
  const connection = () => lake.connection("dead-letters");
  // The table appears with the first dead letter: none yet is an empty list, not an error.
  const exists = async (c: DuckDBConnection) =>
    (
      await c.runAndReadAll(
        `SELECT count(*) FROM duckdb_tables() WHERE database_name = '${LAKE}' AND schema_name = 'main' AND table_name = 'dead_letters'`,
      )
    ).getRows()[0]?.[0] !== 0n;
  return {
    async list(q) {
      const c = await connection();
      if (!(await exists(c))) return [];
      const where: string[] = [];
      const params: Record<string, string | number | bigint> = {};
      if (q.reason !== "") {
        where.push("error_kind = $reason");
        params.reason = q.reason;
      }
      if (q.sinceMs !== undefined) {
        where.push("failed_at >= make_timestamptz($since::BIGINT * 1000)");
        params.since = q.sinceMs;
      }
      if (q.untilMs !== undefined) {
        where.push("failed_at < make_timestamptz($until::BIGINT * 1000)");
        params.until = q.untilMs;
      }
      // The page order is the list's: failed-at ms, then id, both descending.
      if (q.before !== undefined) {
        where.push(
          `(epoch_ms(failed_at) < $beforeMs OR (epoch_ms(failed_at) = $beforeMs AND ${ID_SQL} < $beforeId))`,
        );
        params.beforeMs = q.before.ms;
        params.beforeId = q.before.id;
      }
      const sql =
        `SELECT ${COLUMNS} FROM ${LAKE}.dead_letters` +
        (where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`) +
        ` ORDER BY epoch_ms(failed_at) DESC, ${ID_SQL} DESC LIMIT ${q.limit + 1}`;
      const rows = (await c.runAndReadAll(sql, params)).getRows();
      return rows.map((r) => toDeadLetter(r, undefined));
    },
    async get(source, partition, position) {
      const c = await connection();
      if (!(await exists(c))) return undefined;
      const rows = (
        await c.runAndReadAll(
          `SELECT ${COLUMNS}, raw FROM ${LAKE}.dead_letters WHERE _source = $source AND _partition = $partition AND _position = $position LIMIT 1`,
          { source, partition, position },
        )
      ).getRows();
      const row = rows[0];
      return row === undefined ? undefined : toDeadLetter(row, row[9]);
    },
  };
}

function toDeadLetter(r: readonly unknown[], raw: unknown): DeadLetter {
  const [source, partition, position, kind, error, eventId, eventType, failedAt, bytes] = r;
  const src = String(source ?? "");
  const part = String(partition ?? "");
  const pos = BigInt((position ?? 0n) as bigint);
  const failedMs = Number((failedAt as DuckDBTimestampTZValue | null)?.micros ?? 0n) / 1000;
  const topic = src.startsWith("kafka:") ? src.slice("kafka:".length) : "";
  return create(DeadLetterSchema, {
    id: lakeDeadLetterId(src, part, pos),
    stage: LAKE_WRITER_STAGE,
    reason: String(kind ?? ""),
    error: String(error ?? ""),
    failedAt: timestampFromMs(Math.floor(failedMs)),
    eventId: eventId === null ? "" : String(eventId),
    eventType: eventType === null ? "" : String(eventType),
    rawBytes: Number(bytes ?? 0),
    origin: create(DeadLetterOriginSchema, {
      lakeSource: src,
      lakePartition: part,
      lakePosition: pos,
      ...(topic !== "" && { topic, partition: Number(part), offset: pos }),
    }),
    ...(raw !== undefined && raw !== null && { raw: blobBytes(raw) }),
  });
}

function blobBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  const bytes = (v as { bytes?: Uint8Array }).bytes;
  return bytes ?? new Uint8Array();
}
