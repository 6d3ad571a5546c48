import { repoRoot, run } from "../lib/run.ts";
import { assertBoundaries, BoundaryError, readSourceFiles } from "./import-boundaries.ts";
import { findPosixOnly, formatPosixOnly } from "./posix-only.ts";

/**
 * Checks the import boundaries (see import-boundaries.ts) and that shipped code has no POSIX-only
 * paths or shell calls (posix-only.ts), then lints and checks formatting of
 * the whole repository; warnings are errors.
 */
export async function lint(): Promise<void> {
  let checked: number;
  try {
    checked = assertBoundaries(repoRoot);
  } catch (err) {
    if (!(err instanceof BoundaryError)) throw err;
    // The list is the whole message: a stack trace would only bury it.
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`import boundaries: ${checked} files, no violation\n`);
  // The services run natively on Windows: no POSIX-only paths or shell calls (posix-only.ts).
  const posixOnly = findPosixOnly(readSourceFiles(repoRoot));
  if (posixOnly.length > 0) {
    process.stderr.write(
      `${posixOnly.length} POSIX-only use(s) in shipped code (guard it and add a "posix-only: <why>" comment):\n${formatPosixOnly(posixOnly)}\n`,
    );
    process.exit(1);
  }
  process.stdout.write("posix-only: no POSIX-only path or shell call in shipped code\n");
  await run("biome", ["ci", "--error-on-warnings", "."]);
}

/** Rewrites files to the house format and applies safe lint fixes. */
export async function format(): Promise<void> {
  await run("biome", ["check", "--write", "."]);
}
