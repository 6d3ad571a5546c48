import { readdirSync } from "node:fs";
import { join, sep } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { canFreezeFolders, type FrozenFolder, freezeFolder, freezeMethod, waitFor } from "@langtian/testing";
import type { FaultStep } from "./fault-schedule.ts";
import type { Timeline } from "./timeline.ts";

/**
 * The day folders of a lake table, where DuckLake writes a commit's Parquet files:
 * `<data>/main/<table>/year=…/month=…/day=…` (found by walking the data folder, so a change
 * of layout shows up as "no day folder" instead of a fault that silently hits nothing).
 */
export function tableDayFolders(dataPath: string, table: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dataPath, { recursive: true, encoding: "utf8" });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.split(sep).includes(table) && /(^|[/\\])day=[^/\\]+$/.test(entry))
    .map((entry) => join(dataPath, entry));
}

/**
 * Makes every lake commit of `table` fail for `durationMs`: its day folders become
 * immutable (`chattr +i`), so writing a Parquet file fails with an IO error, then writable
 * again. Waits up to 60 s for a first day folder (the first commit).
 */
export async function failLakeCommits(
  dataPath: string,
  table: string,
  durationMs: number,
  timeline: Timeline,
): Promise<void> {
  const folders = await waitFor(
    async () => {
      const found = tableDayFolders(dataPath, table);
      return found.length > 0 ? found : undefined;
    },
    { what: `a day folder of ${table} under ${dataPath}`, timeoutMs: 60_000, intervalMs: 250 },
  );
  const frozen: FrozenFolder[] = [];
  try {
    for (const folder of folders) frozen.push(freezeFolder(folder));
    timeline.record(
      "commit-failure-start",
      folders.map((f) => f.slice(dataPath.length + 1)).join(", "),
      `chattr +i for ${durationMs} ms`,
    );
    await sleep(durationMs);
  } finally {
    for (const folder of frozen) folder.thaw();
    timeline.record("commit-failure-end", `${frozen.length} folder(s)`, "chattr -i");
  }
}

/**
 * A schedule step that makes the lake's commits fail for `durationMs` at `atMs`; none when
 * this machine cannot freeze folders (root without `chattr`, or a filesystem without the
 * immutable flag), which the plan then says.
 */
export function lakeCommitFailure(
  atMs: number,
  durationMs: number,
  lake: { readonly dataPath: string },
  table: string,
  timeline: Timeline,
): FaultStep[] {
  if (!canFreezeFolders()) {
    timeline.log(`lake commit failures at ${atMs} ms NOT injected: cannot freeze a folder here`);
    return [];
  }
  return [
    {
      atMs,
      what: `lake commits fail for ${durationMs / 1000} s (${freezeMethod()} on the day folder of ${table})`,
      run: () => failLakeCommits(lake.dataPath, table, durationMs, timeline),
    },
  ];
}
