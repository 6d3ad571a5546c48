/**
 * @langtian/lake-writer: Kafka (or JetStream) → DuckLake with exactly-once commits.
 * Exports the building blocks other packages and tools reuse, and the stages benchmarks
 * measure alone (`bench/lake-writer`). Test helpers are the `./testing` subpath.
 */

// Attaching the lake lives in @langtian/lake; re-exported so existing importers keep working.
export {
  type CatalogConfig,
  catalogUri,
  LAKE,
  LakeAttachError,
  type LakeConfig,
  MissingExtensionsError,
  requireDuckdbExtensions,
  type S3Config,
} from "@langtian/lake";
export { createApp, type LakeWriterApp, type LakeWriterDeps } from "./app.ts";
export {
  type LakeWriterConfig,
  lakeConfigOf,
  lakeWriterConfigSchema,
  loadLakeWriterConfig,
} from "./config.ts";
export { createIngestLoop, type IngestLoop, type IngestLoopOptions } from "./ingest/ingest-loop.ts";
export type { Source, SourceRecord } from "./ingest/source.ts";
export { createKafkaSource, type KafkaSourceOptions } from "./kafka/kafka-source.ts";
export { type BatchWriter, createBatchWriter, stageRows } from "./lake/batch-writer.ts";
export type { CellValue } from "./lake/columns.ts";
export { type CommitExtraInfo, INGEST_COMMIT_MESSAGE, recordCommitMetadata } from "./lake/commit-metadata.ts";
export { DEFAULT_TIERS, type MaintenanceSettings, runMaintenance } from "./lake/maintenance.ts";
export { type OpenLake, openLake } from "./lake/open-lake.ts";
export {
  claimPartition,
  ensureStateSchema,
  type PartitionKey,
  readPartitionPosition,
} from "./lake/partition-ledger.ts";
export { DEAD_LETTER_TABLE, routeRecord } from "./tables/event-tables.ts";
export { createTableManager, type TableManager, type TableSpec } from "./tables/table-manager.ts";
