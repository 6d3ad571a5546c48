import { run } from "../lib/run.ts";

/** Lints and checks formatting of the whole repository; warnings are errors. */
export async function lint(): Promise<void> {
  await run("biome", ["ci", "--error-on-warnings", "."]);
}

/** Rewrites files to the house format and applies safe lint fixes. */
export async function format(): Promise<void> {
  await run("biome", ["check", "--write", "."]);
}
