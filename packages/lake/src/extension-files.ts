import { access } from "node:fs/promises";
import { ErrorCode, LangtianError } from "@langtian/errors";
import { type DuckdbExtensions, duckdbExtensionFiles } from "@langtian/provision";

/** Error raised at start when the configured extension folder lacks extension files. */
export class MissingExtensionsError extends LangtianError {
  override readonly code = ErrorCode.failedPrecondition;
  override name = "MissingExtensionsError";
}

/**
 * The DuckDB extension files of `extensionDir` (`lake.extensionDir`, DuckDB's
 * `<dir>/v<version>/<platform>/` layout), checked to be there. Services never fetch
 * them: the site's installer (or `npm run provision`) puts them there. Throws a
 * {@link MissingExtensionsError} naming every missing file.
 */
export async function requireDuckdbExtensions(extensionDir: string): Promise<DuckdbExtensions> {
  const extensions = duckdbExtensionFiles(extensionDir);
  const missing: string[] = [];
  for (const file of Object.values(extensions.files)) {
    await access(file).catch(() => missing.push(file));
  }
  if (missing.length > 0) {
    throw new MissingExtensionsError(
      `DuckDB extension files missing from lake.extensionDir ${extensionDir}: ${missing.join(", ")} ` +
        "(copy them there, or run `npm run provision` on a development machine)",
    );
  }
  return extensions;
}
