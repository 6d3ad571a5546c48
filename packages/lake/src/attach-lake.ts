import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { DuckDBConnection } from "@duckdb/node-api";
import { ErrorCode, LangtianError } from "@langtian/errors";
import type { DuckdbExtensions } from "@langtian/provision";
import type { CatalogConfig, LakeConfig } from "./lake-config.ts";
import { quoteString } from "./sql.ts";

/** Name the lake is attached under in every connection. */
export const LAKE = "lake";

/** Error raised when the lake cannot be attached (bad path, catalog unreachable, ...). */
export class LakeAttachError extends LangtianError {
  override readonly code = ErrorCode.unavailable;
  override name = "LakeAttachError";
}

/** How to attach. */
export interface AttachOptions {
  /**
   * Attach `READ_ONLY`: the lake cannot be written through this instance, the catalog and data
   * folders are never created, and write-only options (data path, inlining) are left to the
   * catalog. A read-only attach fails when the catalog needs a migration.
   */
  readonly readOnly?: boolean;
}

/**
 * Loads the extension files the lake needs (never downloading: `extensions` are files
 * already on disk), creates the S3 secret for `s3://` data paths and attaches the DuckLake
 * described by `config` as {@link LAKE} on `setup`'s instance. A writer's local catalog and
 * data folders are created. Throws a {@link LakeAttachError} with the reason.
 */
export async function attachLake(
  setup: DuckDBConnection,
  config: LakeConfig,
  extensions: DuckdbExtensions,
  options: AttachOptions = {},
): Promise<void> {
  try {
    await setup.run(`LOAD ${quoteString(extensions.files.ducklake)}`);
    if (config.catalog.kind === "sqlite")
      await setup.run(`LOAD ${quoteString(extensions.files.sqlite_scanner)}`);
    if (config.catalog.kind === "postgres")
      await setup.run(`LOAD ${quoteString(extensions.files.postgres_scanner)}`);
    if (config.dataPath.startsWith("s3://")) {
      if (!config.s3) throw new LakeAttachError(`data path ${config.dataPath} needs S3 settings`);
      await setup.run(`LOAD ${quoteString(extensions.files.httpfs)}`);
      const s3 = config.s3;
      await setup.run(
        `CREATE OR REPLACE SECRET lake_s3 (TYPE s3, KEY_ID ${quoteString(s3.accessKeyId)}, ` +
          `SECRET ${quoteString(s3.secretAccessKey)}, ENDPOINT ${quoteString(s3.endpoint)}, ` +
          `REGION ${quoteString(s3.region)}, URL_STYLE ${quoteString(s3.urlStyle)}, USE_SSL ${s3.useSsl})`,
      );
    } else if (!options.readOnly) {
      await mkdir(config.dataPath, { recursive: true });
    }
    if (config.catalog.kind !== "postgres" && !options.readOnly)
      await mkdir(dirname(config.catalog.path), { recursive: true });
    if (config.catalog.kind === "sqlite" && !options.readOnly) useWriteAheadLog(config.catalog.path);
    const attachOptions = options.readOnly ? ["READ_ONLY"] : [`DATA_PATH ${quoteString(config.dataPath)}`];
    if (!options.readOnly && config.dataInliningRowLimit !== undefined) {
      attachOptions.push(`DATA_INLINING_ROW_LIMIT ${Math.trunc(config.dataInliningRowLimit)}`);
    }
    await setup.run(
      `ATTACH ${quoteString(catalogUri(config.catalog))} AS ${LAKE} (${attachOptions.join(", ")})`,
    );
  } catch (err) {
    if (err instanceof LakeAttachError) throw err;
    throw new LakeAttachError(`cannot attach the lake: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Puts a SQLite catalog in write-ahead-log mode (kept in the file, so once is enough; a new file
 * is created in it). In SQLite's default rollback-journal mode a reader's lock makes the
 * writer's COMMIT fail with "database is locked" — and a COMMIT that failed that way can leave
 * the writer's catalog transaction holding its lock, so every later commit fails too. In WAL
 * mode readers (the query API, the admin) never block the writer, nor the writer them.
 */
function useWriteAheadLog(path: string): void {
  const db = new DatabaseSync(path);
  try {
    const mode = db.prepare("PRAGMA journal_mode = WAL").get() as { journal_mode?: string } | undefined;
    if (mode?.journal_mode !== "wal")
      throw new LakeAttachError(
        `cannot put the SQLite catalog ${path} in WAL mode (it stays ${mode?.journal_mode})`,
      );
  } finally {
    db.close();
  }
}

/** The `ATTACH` string of a catalog. */
export function catalogUri(catalog: CatalogConfig): string {
  switch (catalog.kind) {
    case "duckdb":
      return `ducklake:${catalog.path}`;
    case "sqlite":
      return `ducklake:sqlite:${catalog.path}`;
    case "postgres":
      return `ducklake:postgres:${catalog.dsn}`;
  }
}
