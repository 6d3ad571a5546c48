import { cp, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ErrorCode, LangtianError } from "@langtian/errors";
import { quoteString } from "./sql.ts";

/** Error raised when a lake backup or restore cannot be made (and why). */
export class LakeBackupError extends LangtianError {
  override readonly code = ErrorCode.failedPrecondition;
  override name = "LakeBackupError";
}

/** A local lake: a catalog file (SQLite, or DuckDB with its writer stopped) and a data folder. */
export interface LocalLake {
  readonly catalogKind: "sqlite" | "duckdb";
  readonly catalogPath: string;
  readonly dataPath: string;
}

/** What `backup.json` in a backup folder records. */
export interface LakeBackupManifest {
  readonly catalogKind: "sqlite" | "duckdb";
  /** The catalog's file name inside the backup folder. */
  readonly catalogFile: string;
  /** When the catalog was copied (ISO 8601): the lake holds what was committed before it. */
  readonly catalogCopiedAt: string;
  readonly sourceCatalogPath: string;
  readonly sourceDataPath: string;
}

const MANIFEST = "backup.json";
const DATA = "data";

/**
 * Backs up a local lake into the empty or new folder `to`: first the catalog, then the data
 * files. The catalog goes first because DuckLake only adds Parquet files and never rewrites
 * one: every file the copied catalog references already exists when the data folder is
 * copied (files committed after the catalog copy come along unreferenced and do no harm).
 * Maintenance that deletes files (expire snapshots, cleanup of old files) must not run during
 * a backup. A SQLite catalog is copied online with `VACUUM INTO` (one read transaction: a
 * consistent catalog while the writer keeps committing); a DuckDB-file catalog admits one
 * process, so its writer must be stopped and the file is copied as it is.
 */
export async function backupLake(lake: LocalLake, to: string): Promise<LakeBackupManifest> {
  await mkdir(to, { recursive: true });
  if (await exists(join(to, MANIFEST))) throw new LakeBackupError(`${to} already holds a backup`);
  const catalogFile = lake.catalogKind === "sqlite" ? "catalog.sqlite" : "catalog.ducklake";
  if (!(await exists(lake.catalogPath))) throw new LakeBackupError(`no catalog at ${lake.catalogPath}`);
  const catalogCopiedAt = new Date().toISOString();
  if (lake.catalogKind === "sqlite") {
    const db = new DatabaseSync(lake.catalogPath, { readOnly: true });
    try {
      db.exec(`VACUUM INTO ${quoteString(join(to, catalogFile))}`);
    } finally {
      db.close();
    }
  } else {
    await cp(lake.catalogPath, join(to, catalogFile));
  }
  await cp(lake.dataPath, join(to, DATA), { recursive: true, errorOnExist: true, force: false });
  const manifest: LakeBackupManifest = {
    catalogKind: lake.catalogKind,
    catalogFile,
    catalogCopiedAt,
    sourceCatalogPath: lake.catalogPath,
    sourceDataPath: lake.dataPath,
  };
  await writeFile(join(to, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * Restores the backup in folder `from` to `lake` (the lake writer and every reader stopped):
 * the catalog file and the data folder are replaced by the backup's. A SQLite catalog's
 * `-wal` and `-shm` files are deleted first: a write-ahead log left from the lost catalog
 * would be replayed into the restored one. Refuses to write over an existing catalog or data
 * folder unless `replace` is set.
 */
export async function restoreLake(
  from: string,
  lake: LocalLake,
  options: { readonly replace?: boolean } = {},
): Promise<LakeBackupManifest> {
  const manifest = JSON.parse(await readFile(join(from, MANIFEST), "utf8")) as LakeBackupManifest;
  if (manifest.catalogKind !== lake.catalogKind)
    throw new LakeBackupError(
      `the backup holds a ${manifest.catalogKind} catalog, the lake is configured with ${lake.catalogKind}`,
    );
  const existing = [lake.catalogPath, lake.dataPath];
  for (const path of existing) {
    if ((await exists(path)) && !options.replace)
      throw new LakeBackupError(`${path} exists; stop the lake writer and pass --replace to overwrite it`);
  }
  for (const path of [
    ...existing,
    `${lake.catalogPath}-wal`,
    `${lake.catalogPath}-shm`,
    `${lake.catalogPath}.wal`,
  ])
    await rm(path, { recursive: true, force: true });
  await cp(join(from, manifest.catalogFile), lake.catalogPath);
  await cp(join(from, DATA), lake.dataPath, { recursive: true });
  return manifest;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
