import type { DuckDBConnection } from "@duckdb/node-api";
import { DEAD_LETTER_TABLE, LAKE, openLake } from "@langtian/lake-writer";
import { provisionDuckdbExtensions } from "@langtian/provision";

/** What the lake holds for one event table. */
export interface LakeContents {
  readonly rows: number;
  readonly distinctIds: number;
  /** Every event id, once. */
  readonly ids: ReadonlySet<string>;
  /** A few event ids held more than once, each with where its copies came from. */
  readonly duplicateSamples: readonly string[];
  /** Rows of the dead-letter table (0 when it was never created). */
  readonly deadLetters: number;
}

/**
 * Rows and distinct event ids of `table` right now, read through a DuckDB instance of our own
 * (the SQLite catalog admits readers beside the writers); `undefined` while the table does not
 * exist yet or the catalog is busy.
 */
export async function countLakeEvents(
  catalogPath: string,
  dataPath: string,
  table: string,
): Promise<{ rows: number; distinctIds: number } | undefined> {
  try {
    return await withLake(catalogPath, dataPath, async (connection) => {
      const row = (
        await connection.runAndReadAll(`SELECT count(*), count(DISTINCT event_id) FROM ${LAKE}.${table}`)
      ).getRows()[0];
      return { rows: Number(row?.[0] ?? 0), distinctIds: Number(row?.[1] ?? 0) };
    });
  } catch {
    return undefined;
  }
}

/**
 * Opens the lake read-side (its own DuckDB instance with the ducklake extension, attached to
 * the SQLite catalog, as any reader would) and reads the event ids of `table`.
 */
export async function readLakeContents(
  catalogPath: string,
  dataPath: string,
  table: string,
): Promise<LakeContents> {
  return withLake(catalogPath, dataPath, async (connection) => {
    const rowsOf = async (sql: string) => (await connection.runAndReadAll(sql)).getRows();
    const first = async (sql: string) => Number((await rowsOf(sql))[0]?.[0] ?? 0);
    const events = `${LAKE}.${table}`;
    const rows = await first(`SELECT count(*) FROM ${events}`);
    const distinctIds = await first(`SELECT count(DISTINCT event_id) FROM ${events}`);
    const ids = new Set((await rowsOf(`SELECT DISTINCT event_id FROM ${events}`)).map((r) => String(r[0])));
    const duplicateSamples = (
      await rowsOf(
        `SELECT event_id, string_agg(_source || '/' || _partition || '@' || _position, ' ') FROM ${events} ` +
          "GROUP BY event_id HAVING count(*) > 1 ORDER BY event_id LIMIT 5",
      )
    ).map((r) => `${String(r[0])} at ${String(r[1])}`);
    const deadLetters = await first(`SELECT count(*) FROM ${LAKE}.${DEAD_LETTER_TABLE.name}`).catch(() => 0);
    return { rows, distinctIds, ids, duplicateSamples, deadLetters };
  });
}

/** Each event's `traceparent` as the lake holds it (null when the row has none). */
export async function readLakeTraceparents(
  catalogPath: string,
  dataPath: string,
  table: string,
): Promise<Map<string, string | null>> {
  return withLake(catalogPath, dataPath, async (connection) => {
    const rows = (
      await connection.runAndReadAll(`SELECT event_id, traceparent FROM ${LAKE}.${table}`)
    ).getRows();
    return new Map(rows.map((r) => [String(r[0]), r[1] === null ? null : String(r[1])]));
  });
}

/**
 * Runs `read` on a connection to the lake read-side: a DuckDB instance of our own with the
 * ducklake extension, attached to the SQLite catalog, as any reader would.
 */
async function withLake<T>(
  catalogPath: string,
  dataPath: string,
  read: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const lake = await openLake(
    { catalog: { kind: "sqlite", path: catalogPath }, dataPath },
    await provisionDuckdbExtensions(),
  );
  try {
    return await read(await lake.connect());
  } finally {
    lake.close();
  }
}
