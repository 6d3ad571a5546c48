import { repoRoot, run } from "../lib/run.ts";
import { assertBoundaries, BoundaryError } from "./import-boundaries.ts";

/**
 * Checks the import boundaries (see import-boundaries.ts), then lints and checks formatting of
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
  await run("biome", ["ci", "--error-on-warnings", "."]);
}

/** Rewrites files to the house format and applies safe lint fixes. */
export async function format(): Promise<void> {
  await run("biome", ["check", "--write", "."]);
}
