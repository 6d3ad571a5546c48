import type { DuckDBConnection } from "@duckdb/node-api";
import { LAKE } from "@langtian/lake";

/** One compaction tier: files whose size lies within [minFileSizeBytes, maxFileSizeBytes] are merged. */
export interface CompactionTier {
  minFileSizeBytes: number;
  maxFileSizeBytes: number;
}

/** Settings of {@link runMaintenance}. */
export interface MaintenanceSettings {
  /** Small files first, then bigger ones: each pass merges neighbours of similar size. */
  tiers: readonly CompactionTier[];
  /** Snapshots older than this are expired (the time-travel horizon). */
  snapshotRetentionMs: number;
  /** Files no snapshot references for this long are deleted (readers of old snapshots finish first). */
  fileCleanupDelayMs: number;
}

/** Default tiers: merge files under 4 MiB, then files under 64 MiB. */
export const DEFAULT_TIERS: readonly CompactionTier[] = [
  { minFileSizeBytes: 0, maxFileSizeBytes: 4 * 1024 * 1024 },
  { minFileSizeBytes: 0, maxFileSizeBytes: 64 * 1024 * 1024 },
];

/** What one maintenance run did, step by step (durations in ms). */
export interface MaintenanceReport {
  flushInlinedMs: number;
  mergeMs: number;
  expireMs: number;
  cleanupMs: number;
}

/**
 * Keeps a streaming lake healthy (many small commits otherwise bloat the catalog and the
 * file count): flushes inlined rows into Parquet, merges adjacent small files tier by
 * tier, expires old snapshots, then deletes files nothing references any more. Each
 * step is its own DuckLake snapshot; a step that conflicts with a writer fails alone and
 * is simply done again next time.
 */
export async function runMaintenance(
  connection: DuckDBConnection,
  settings: MaintenanceSettings,
): Promise<MaintenanceReport> {
  const timed = async (sql: string): Promise<number> => {
    const started = performance.now();
    await connection.run(sql);
    return performance.now() - started;
  };
  const lake = `'${LAKE}'`;
  const flushInlinedMs = await timed(`CALL ducklake_flush_inlined_data(${lake})`);
  let mergeMs = 0;
  for (const tier of settings.tiers) {
    mergeMs += await timed(
      `CALL ducklake_merge_adjacent_files(${lake}, min_file_size => ${Math.trunc(tier.minFileSizeBytes)}, ` +
        `max_file_size => ${Math.trunc(tier.maxFileSizeBytes)})`,
    );
  }
  const expireMs = await timed(
    `CALL ducklake_expire_snapshots(${lake}, older_than => now() - to_milliseconds(${Math.trunc(settings.snapshotRetentionMs)}))`,
  );
  const cleanupMs = await timed(
    `CALL ducklake_cleanup_old_files(${lake}, older_than => now() - to_milliseconds(${Math.trunc(settings.fileCleanupDelayMs)}))`,
  );
  return { flushInlinedMs, mergeMs, expireMs, cleanupMs };
}
