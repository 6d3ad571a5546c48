import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, relative } from "node:path";

/**
 * How long each test file took when it last ran, in milliseconds, by path relative to the
 * repository root. Kept in the per-user cache, so every clone (and CI) reuses it.
 */
export type TestDurations = Readonly<Record<string, number>>;

/** The durations saved at `path`; none when the file is missing or unreadable (first run). */
export function readTestDurations(path: string): TestDurations {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    if (typeof parsed !== "object" || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, number] => typeof entry[1] === "number"),
    );
  } catch {
    return {};
  }
}

/**
 * Saves `measured` (absolute paths or paths relative to `root`, as the reporter printed them)
 * over the durations at `path`: a file measured now replaces its old figure, the others stay.
 * Written to a temporary file and renamed, so a reader never sees half of it.
 */
export function saveTestDurations(path: string, root: string, measured: Record<string, number>): void {
  const merged: Record<string, number> = { ...readTestDurations(path) };
  for (const [file, ms] of Object.entries(measured)) {
    merged[(isAbsolute(file) ? relative(root, file) : file).replaceAll("\\", "/")] = ms;
  }
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(merged, Object.keys(merged).sort(), 2)}\n`);
  renameSync(temp, path);
}

/**
 * `files` in the order that ends a run of several at once soonest: the longest first (a long
 * file started last runs on alone at the end while the other slots sit idle), files never
 * measured before all of them (they may be long), ties in path order.
 */
export function longestFirst(files: readonly string[], durations: TestDurations): string[] {
  const known = (file: string) => durations[file] ?? Number.POSITIVE_INFINITY;
  return [...files].sort((a, b) => known(b) - known(a) || a.localeCompare(b));
}
