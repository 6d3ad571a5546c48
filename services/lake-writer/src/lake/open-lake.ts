import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { ErrorCode, LangtianError } from "@langtian/errors";
import type { DuckdbExtensions } from "@langtian/provision";
import type { CatalogConfig, LakeConfig } from "./lake-config.ts";
import { quoteString } from "./sql.ts";

/** Name the lake is attached under in every connection. */
export const LAKE = "lake";

/** An open DuckDB instance with the lake attached. */
export interface OpenLake {
  instance: DuckDBInstance;
  /** Opens one more connection (one per concurrently running statement). */
  connect(): Promise<DuckDBConnection>;
  /** Closes every connection handed out and the instance. */
  close(): void;
}

/** Error raised when the lake cannot be attached (bad path, catalog unreachable, ...). */
export class LakeAttachError extends LangtianError {
  override readonly code = ErrorCode.unavailable;
  override name = "LakeAttachError";
}

/**
 * Opens an in-memory DuckDB, loads the provisioned extension files (never downloading,
 * never auto-loading) and attaches the DuckLake described by `config` as `lake`.
 * The catalog and data folders are created when local.
 */
export async function openLake(config: LakeConfig, extensions: DuckdbExtensions): Promise<OpenLake> {
  const instance = await DuckDBInstance.create(":memory:", {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
    extension_directory: extensions.extensionDirectory,
  });
  const connections: DuckDBConnection[] = [];
  let closed = false;
  const setup = await DuckDBConnection.create(instance);
  connections.push(setup);
  try {
    await setup.run(`LOAD ${quoteString(extensions.files.ducklake)}`);
    if (config.catalog.kind === "sqlite")
      await setup.run(`LOAD ${quoteString(extensions.files.sqlite_scanner)}`);
    if (config.catalog.kind === "postgres") {
      await setup.run(`LOAD ${quoteString(extensions.files.postgres_scanner)}`);
    }
    if (config.dataPath.startsWith("s3://")) {
      if (!config.s3) throw new LakeAttachError(`data path ${config.dataPath} needs S3 settings`);
      await setup.run(`LOAD ${quoteString(extensions.files.httpfs)}`);
      const s3 = config.s3;
      await setup.run(
        `CREATE OR REPLACE SECRET lake_s3 (TYPE s3, KEY_ID ${quoteString(s3.accessKeyId)}, ` +
          `SECRET ${quoteString(s3.secretAccessKey)}, ENDPOINT ${quoteString(s3.endpoint)}, ` +
          `REGION ${quoteString(s3.region)}, URL_STYLE ${quoteString(s3.urlStyle)}, USE_SSL ${s3.useSsl})`,
      );
    } else {
      await mkdir(config.dataPath, { recursive: true });
    }
    if (config.catalog.kind !== "postgres") await mkdir(dirname(config.catalog.path), { recursive: true });
    const options = [`DATA_PATH ${quoteString(config.dataPath)}`];
    if (config.dataInliningRowLimit !== undefined) {
      options.push(`DATA_INLINING_ROW_LIMIT ${Math.trunc(config.dataInliningRowLimit)}`);
    }
    await setup.run(`ATTACH ${quoteString(catalogUri(config.catalog))} AS ${LAKE} (${options.join(", ")})`);
    if (config.dataInliningRowLimit !== undefined) {
      await overridePersistedInliningLimit(setup, Math.trunc(config.dataInliningRowLimit));
    }
  } catch (err) {
    setup.closeSync();
    instance.closeSync();
    if (err instanceof LakeAttachError) throw err;
    throw new LakeAttachError(`cannot attach the lake: ${(err as Error).message}`, { cause: err });
  }
  return {
    instance,
    async connect() {
      const connection = await DuckDBConnection.create(instance);
      connections.push(connection);
      return connection;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const connection of connections.splice(0)) connection.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * A lake-wide `data_inlining_row_limit` stored in the catalog (`CALL lake.set_option(...)`)
 * wins over the ATTACH option, so a limit once set by anyone would silently outlive the
 * configured one (0 would not turn inlining off). The configured limit is stored in its
 * place; written only when it differs, so attaching an agreeing lake changes nothing.
 * Table- and schema-level options are left alone: an operator set them on purpose.
 */
async function overridePersistedInliningLimit(setup: DuckDBConnection, limit: number): Promise<void> {
  const reader = await setup.runAndReadAll(
    `SELECT value FROM ${LAKE}.options() WHERE option_name = 'data_inlining_row_limit' AND scope = 'GLOBAL'`,
  );
  const stored = reader.getRows()[0]?.[0];
  if (stored !== undefined && stored !== null && Number(stored) !== limit) {
    await setup.run(`CALL ${LAKE}.set_option('data_inlining_row_limit', ${limit})`);
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
