import { copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheRoot } from "./cache-root.mjs";
import { installDir } from "./install-dir.ts";
import { ProvisionError } from "./provision-error.ts";
import { runTool } from "./run-tool.ts";
import { refuseInUnitTier } from "./test-tier.ts";

/** DuckDB version the shipped extension files are built for; `@duckdb/node-api` is pinned to it. */
export const DUCKDB_VERSION = "1.5.5";

/** The extensions the lake writer loads, keyed by the name DuckDB gives their file. */
export const DUCKDB_EXTENSIONS = {
  ducklake: "duckdb-extension-ducklake",
  httpfs: "duckdb-extension-httpfs",
  sqlite_scanner: "duckdb-extension-sqlite-scanner",
  postgres_scanner: "duckdb-extension-postgres-scanner",
} as const;

/** Name of one provisioned DuckDB extension. */
export type DuckdbExtensionName = keyof typeof DUCKDB_EXTENSIONS;

/** Where the extension files of one extension directory are. */
export interface DuckdbExtensions {
  /** Value for DuckDB's `extension_directory` (contains `v<version>/<platform>/`). */
  extensionDirectory: string;
  /** Absolute path of each extension file, for `LOAD '<path>'`. */
  files: Record<DuckdbExtensionName, string>;
}

/** DuckDB's platform name for this machine (the folder its extension files live in). */
export function duckdbPlatform(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch === "arm64" ? "arm64" : process.arch;
  const os = process.platform === "win32" ? "windows" : process.platform === "darwin" ? "osx" : "linux";
  return `${os}_${arch}`;
}

/**
 * The extension directory {@link provisionDuckdbExtensions} fills: `<cacheRoot>/duckdb-extensions`.
 * Computed only, never fetched: services use it as their default and check the files themselves.
 */
export function defaultDuckdbExtensionDir(): string {
  return join(cacheRoot(), "duckdb-extensions");
}

/**
 * The paths of the extension files inside an extension directory laid out the way DuckDB
 * lays out its own (`<dir>/v<version>/<platform>/<name>.duckdb_extension`). Pure: it does
 * not look whether they exist.
 */
export function duckdbExtensionFiles(extensionDirectory: string): DuckdbExtensions {
  const platformDir = join(extensionDirectory, `v${DUCKDB_VERSION}`, duckdbPlatform());
  const files = Object.fromEntries(
    Object.keys(DUCKDB_EXTENSIONS).map((name) => [name, join(platformDir, `${name}.duckdb_extension`)]),
  ) as Record<DuckdbExtensionName, string>;
  return { extensionDirectory, files };
}

/** Python interpreter used to fetch wheels: `LANGTIAN_PYTHON`, else python3 (python on Windows). */
function pythonCommand(): string {
  return process.env.LANGTIAN_PYTHON ?? (process.platform === "win32" ? "python" : "python3");
}

/**
 * Makes the official, signed DuckDB extension files (ducklake, httpfs, sqlite_scanner,
 * postgres_scanner) available offline: downloads their PyPI wheels with `pip download
 * --no-deps` once, unpacks the `.duckdb_extension` files into
 * `<cacheRoot>/duckdb-extensions/v<version>/<platform>/` (lock-protected, atomic rename)
 * and returns their paths. DuckDB's own `INSTALL` would reach the internet, which
 * production sites and this machine do not allow. Run by the provision step of `npm test`
 * and `npm run stack` and by test helpers, never by a service.
 */
export async function provisionDuckdbExtensions(): Promise<DuckdbExtensions> {
  refuseInUnitTier("provisioning DuckDB extensions");
  const extensions = duckdbExtensionFiles(defaultDuckdbExtensionDir());
  await installDir({
    label: `duckdb extensions v${DUCKDB_VERSION}`,
    dir: join(extensions.extensionDirectory, `v${DUCKDB_VERSION}`, duckdbPlatform()),
    build: async (staging) => {
      const wheelDir = await mkdtemp(join(tmpdir(), "langtian-duckdb-wheels-"));
      try {
        const requirements = Object.values(DUCKDB_EXTENSIONS).map((pkg) => `${pkg}==${DUCKDB_VERSION}`);
        await runTool(
          pythonCommand(),
          [
            ...["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--dest", wheelDir],
            ...requirements,
          ],
          { downloadsFrom: "the Python package index" },
        );
        for (const wheel of await readdir(wheelDir)) {
          if (!wheel.endsWith(".whl")) continue;
          await extractExtensionFiles(join(wheelDir, wheel), staging);
        }
        const present = await readdir(staging);
        for (const name of Object.keys(DUCKDB_EXTENSIONS)) {
          if (!present.includes(`${name}.duckdb_extension`)) {
            throw new ProvisionError(`extension ${name} missing from the downloaded wheels`);
          }
        }
      } finally {
        await rm(wheelDir, { recursive: true, force: true });
      }
    },
  });
  return extensions;
}

/** Unpacks the `*.duckdb_extension` members of one wheel (a zip) into `dest`, flat. */
async function extractExtensionFiles(wheel: string, dest: string): Promise<void> {
  const unpackDir = await mkdtemp(join(tmpdir(), "langtian-duckdb-wheel-"));
  try {
    // Python's zipfile is there anyway (pip needs it) and works the same on every platform.
    await runTool(pythonCommand(), ["-m", "zipfile", "-e", wheel, unpackDir]);
    for (const file of await listFiles(unpackDir)) {
      const base = file.split(/[\\/]/).pop() ?? "";
      if (base.endsWith(".duckdb_extension") && file.includes(`v${DUCKDB_VERSION}`)) {
        await copyFile(file, join(dest, base));
      }
    }
  } finally {
    await rm(unpackDir, { recursive: true, force: true });
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
