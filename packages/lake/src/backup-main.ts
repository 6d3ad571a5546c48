#!/usr/bin/env node
import { parseArgs } from "node:util";
import { backupLake, LakeBackupError, restoreLake } from "./backup-lake.ts";

const USAGE = `lake backup and restore (local SQLite or DuckDB-file catalog, local data folder)

usage:
  npm run lake:backup -- --catalog-path <file> --data-path <dir> --to <backup dir> [--catalog sqlite|duckdb]
  npm run lake:restore -- --from <backup dir> --catalog-path <file> --data-path <dir> [--catalog sqlite|duckdb] [--replace]

A SQLite catalog (the default) is backed up while the lake writer runs; a DuckDB-file catalog
needs the writer stopped. Restore with the lake writer and every reader stopped. PostgreSQL
catalogs and s3:// data paths: see docs/OPERATIONS.md, "Backup and restore".
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    catalog: { type: "string", default: "sqlite" },
    "catalog-path": { type: "string" },
    "data-path": { type: "string" },
    to: { type: "string" },
    from: { type: "string" },
    replace: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

const [command] = positionals;
const catalogKind = values.catalog;
const catalogPath = values["catalog-path"];
const dataPath = values["data-path"];
const target = command === "backup" ? values.to : values.from;
if (
  values.help ||
  (command !== "backup" && command !== "restore") ||
  (catalogKind !== "sqlite" && catalogKind !== "duckdb") ||
  !catalogPath ||
  !dataPath ||
  !target
) {
  process.stderr.write(USAGE);
  process.exit(values.help ? 0 : 2);
}
const lake = { catalogKind, catalogPath, dataPath } as const;
try {
  const manifest =
    command === "backup"
      ? await backupLake(lake, target)
      : await restoreLake(target, lake, { replace: values.replace });
  process.stdout.write(
    command === "backup"
      ? `backed up the lake to ${target} (catalog copied at ${manifest.catalogCopiedAt})\n`
      : `restored the lake from ${target} (catalog copied at ${manifest.catalogCopiedAt}); start the lake writer: it resumes from the positions in the restored catalog\n`,
  );
} catch (err) {
  process.stderr.write(`${err instanceof LakeBackupError ? err.message : String(err)}\n`);
  process.exit(1);
}
