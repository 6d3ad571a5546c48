import type { DuckDBConnection } from "@duckdb/node-api";

/**
 * Events of one batch closer together than this in event time are looked up in the lake
 * as one time range; a wider gap starts a new range. Small enough that a device with a
 * wrong clock does not turn the lookup into a scan of everything between.
 */
const RANGE_GAP_MICROS = 10_000_000n;
/** Most ranges one lookup names; beyond it the closest ranges are merged. */
const MAX_RANGES = 16;

/**
 * Deletes from the staged batch `stage` (a temp table with `event_id`, `event_timestamp` and
 * `source_system`) every row the lake table `table` already holds with the same event id,
 * event time and source, and returns how many it deleted.
 *
 * A copy of an event (a bridge that crashed after Kafka confirmed but before it acked
 * JetStream sends it again) carries the same `event_timestamp` as the original, however
 * late it comes. So the lookup reads only the lake rows inside the batch's own event-time
 * ranges, which DuckLake prunes to the few files whose min/max statistics overlap them:
 * the cost follows the batch, not the table. The lake itself is the dedupe state, so it
 * survives crashes and rebalances with nothing to rebuild.
 */
export async function dropLakeDuplicates(
  connection: DuckDBConnection,
  stage: string,
  table: string,
): Promise<number> {
  const ranges = await eventTimeRanges(connection, stage);
  if (ranges.length === 0) return 0;
  const lookups = ranges
    .map(
      ([from, to]) =>
        `SELECT event_id, event_timestamp, source_system FROM ${table} ` +
        `WHERE event_timestamp BETWEEN ${timestamptzLiteral(from)} AND ${timestamptzLiteral(to)}`,
    )
    .join(" UNION ALL ");
  // A copy shares its original's id, event time and source: an id reused with another event
  // time (a device sequence reset) or by another source is another event, and stays.
  const result = await connection.run(
    `DELETE FROM temp.main.${stage} AS s WHERE EXISTS (SELECT 1 FROM (${lookups}) AS l ` +
      "WHERE l.event_id = s.event_id AND l.event_timestamp = s.event_timestamp " +
      "AND l.source_system IS NOT DISTINCT FROM s.source_system)",
  );
  return Number(result.rowsChanged);
}

/** The batch's event times as few closed ranges (µs since the epoch), in order. */
async function eventTimeRanges(connection: DuckDBConnection, stage: string): Promise<[bigint, bigint][]> {
  const reader = await connection.runAndReadAll(
    `WITH t AS (SELECT DISTINCT epoch_us(event_timestamp) AS us FROM temp.main.${stage} WHERE event_timestamp IS NOT NULL),
     breaks AS (SELECT us, CASE WHEN us - lag(us) OVER (ORDER BY us) > ${RANGE_GAP_MICROS} THEN 1 ELSE 0 END AS brk FROM t),
     islands AS (SELECT us, sum(brk) OVER (ORDER BY us) AS island FROM breaks)
     SELECT min(us), max(us) FROM islands GROUP BY island ORDER BY 1`,
  );
  const ranges = reader
    .getRows()
    .map((r) => [BigInt(r[0] as bigint), BigInt(r[1] as bigint)] as [bigint, bigint]);
  return mergeClosest(ranges, MAX_RANGES);
}

/** Merges the ranges separated by the smallest gaps until at most `max` remain. */
export function mergeClosest(ranges: [bigint, bigint][], max: number): [bigint, bigint][] {
  const merged = ranges.map(([a, b]) => [a, b] as [bigint, bigint]);
  while (merged.length > max) {
    let best = 1;
    for (let i = 2; i < merged.length; i++) {
      const gap = (merged[i] as [bigint, bigint])[0] - (merged[i - 1] as [bigint, bigint])[1];
      const bestGap = (merged[best] as [bigint, bigint])[0] - (merged[best - 1] as [bigint, bigint])[1];
      if (gap < bestGap) best = i;
    }
    const [right] = merged.splice(best, 1) as [[bigint, bigint]];
    (merged[best - 1] as [bigint, bigint])[1] = right[1];
  }
  return merged;
}

/**
 * A TIMESTAMPTZ literal for µs since the epoch. Literal constants (not parameters) let
 * DuckLake prune files by their statistics before it reads them.
 */
export function timestamptzLiteral(micros: bigint): string {
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const iso = new Date(Number(millis)).toISOString(); // 2026-12-02T08:00:00.123Z
  const subMillis = ((micros % 1000n) + 1000n) % 1000n;
  return `TIMESTAMPTZ '${iso.slice(0, 23)}${subMillis.toString().padStart(3, "0")}+00'`;
}
