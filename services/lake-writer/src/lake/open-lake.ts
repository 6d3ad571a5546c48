import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { attachLake, LAKE, LakeAttachError, type LakeConfig } from "@langtian/lake";
import type { DuckdbExtensions } from "@langtian/provision";

/** An open DuckDB instance with the lake attached. */
export interface OpenLake {
  instance: DuckDBInstance;
  /** Opens one more connection (one per concurrently running statement). */
  connect(): Promise<DuckDBConnection>;
  /** Closes every connection handed out and the instance. */
  close(): void;
}

/**
 * Opens an in-memory DuckDB (never downloading, never auto-loading extensions) and attaches
 * the DuckLake described by `config` read-write as `lake` with `attachLake`; the catalog and
 * data folders are created when local. A configured inlining limit replaces the one stored in
 * the catalog. Throws a `LakeAttachError` with the reason.
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
    await attachLake(setup, config, extensions);
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
