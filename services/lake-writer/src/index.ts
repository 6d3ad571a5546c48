/**
 * @langtian/lake-writer: Kafka (or JetStream) → DuckLake with exactly-once commits.
 * Exports the building blocks other packages and tools reuse.
 */
export { createApp, type LakeWriterApp, type LakeWriterDeps } from "./app.ts";
export {
  type LakeWriterConfig,
  lakeConfigOf,
  lakeWriterConfigSchema,
  loadLakeWriterConfig,
} from "./config.ts";
export type { CatalogConfig, LakeConfig, S3Config } from "./lake/lake-config.ts";
export { DEFAULT_TIERS, type MaintenanceSettings, runMaintenance } from "./lake/maintenance.ts";
export { catalogUri, LAKE, LakeAttachError, type OpenLake, openLake } from "./lake/open-lake.ts";
export { type PartitionKey, readPartitionPosition } from "./lake/partition-ledger.ts";
export { DEAD_LETTER_TABLE, ENVELOPE_COLUMNS, eventTableName } from "./tables/event-tables.ts";
