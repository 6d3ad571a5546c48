/**
 * @langtian/lake: attaching the DuckLake lake, shared by the lake writer (read-write) and the
 * query API (read-only): its configuration, the extension files read from disk (never
 * downloaded), the catalog URI and SQL quoting.
 */
export { type AttachOptions, attachLake, catalogUri, LAKE, LakeAttachError } from "./attach-lake.ts";
export {
  backupLake,
  LakeBackupError,
  type LakeBackupManifest,
  type LocalLake,
  restoreLake,
} from "./backup-lake.ts";
export { MissingExtensionsError, requireDuckdbExtensions } from "./extension-files.ts";
export type { CatalogConfig, LakeConfig, S3Config } from "./lake-config.ts";
export {
  type LakeSettings,
  lakeConfigFields,
  lakeConfigFrom,
  lakeConfigIssues,
} from "./lake-config-fields.ts";
export { quoteIdent, quoteString } from "./sql.ts";
