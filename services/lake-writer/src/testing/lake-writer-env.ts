import { join } from "node:path";

/** Options of {@link lakeWriterEnv}. */
export interface LakeWriterEnvOptions {
  /** Kafka bootstrap servers. */
  readonly bootstrap: string;
  /** The topic the writer reads. */
  readonly topic: string;
  /** Folder of the writer's own lake (catalog file and data); a fresh temporary folder per test. */
  readonly dir: string;
  /** Consumer group; unique per test, so tests sharing a broker never share a group. */
  readonly groupId: string;
}

/** The settings {@link lakeWriterEnv} fills (named, so a test can read the lake's paths back). */
export interface LakeWriterEnv {
  readonly LANGTIAN_LAKE_WRITER_PORT: string;
  readonly LANGTIAN_LAKE_WRITER_LAKE_CATALOG_PATH: string;
  readonly LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: string;
  readonly LANGTIAN_LAKE_WRITER_KAFKA_BOOTSTRAP: string;
  readonly LANGTIAN_LAKE_WRITER_KAFKA_TOPICS: string;
  readonly LANGTIAN_LAKE_WRITER_KAFKA_GROUP_ID: string;
  readonly LANGTIAN_LAKE_WRITER_MAINTENANCE_INTERVAL_MS: string;
}

/**
 * The env (`LANGTIAN_LAKE_WRITER_*`) of a lake writer under test, for `loadLakeWriterConfig`
 * or a `main.ts` child: an ephemeral port, the default SQLite catalog and data in `dir`, Kafka
 * `topic` read as `groupId`, and maintenance off (a maintenance run would compete with the
 * commits a test measures). Tests spread their own settings over it.
 */
export function lakeWriterEnv(options: LakeWriterEnvOptions): LakeWriterEnv {
  return {
    LANGTIAN_LAKE_WRITER_PORT: "0",
    LANGTIAN_LAKE_WRITER_LAKE_CATALOG_PATH: join(options.dir, "catalog.sqlite"),
    LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: join(options.dir, "data"),
    LANGTIAN_LAKE_WRITER_KAFKA_BOOTSTRAP: options.bootstrap,
    LANGTIAN_LAKE_WRITER_KAFKA_TOPICS: options.topic,
    LANGTIAN_LAKE_WRITER_KAFKA_GROUP_ID: options.groupId,
    LANGTIAN_LAKE_WRITER_MAINTENANCE_INTERVAL_MS: "0",
  };
}
