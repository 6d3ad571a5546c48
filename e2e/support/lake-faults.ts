import { readdirSync } from "node:fs";
import { join, sep } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { canFreezeFolders, type FrozenFolder, freezeFolder, freezeMethod, waitFor } from "@langtian/testing";
import type { FaultStep } from "./fault-schedule.ts";
import type { SupervisedService } from "./supervised-service.ts";
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

/** Where the lake is and who writes it, for {@link failLakeCommits}. */
export interface LakeTarget {
  readonly dataPath: string;
  readonly table: string;
  /** The lake writers: a fault that hits none of them proves nothing, so it waits for them. */
  readonly writers: readonly SupervisedService[];
}

/** Batches the running lake writers committed, as their metrics say right now. */
async function batchesCommitted(writers: readonly SupervisedService[]): Promise<number> {
  await Promise.all(writers.map((w) => w.scrape()));
  return writers.reduce(
    (sum, w) => sum + (w.counterTotal("langtian_lake_writer_batches_written_total") ?? 0),
    0,
  );
}

/**
 * Makes every lake commit of the table fail for `durationMs`: its day folders become
 * immutable (`chattr +i`), so writing a Parquet file fails with an IO error, then writable
 * again. First waits (up to 60 s each) until every lake writer runs, a day folder exists (the
 * first commit) and a writer committed a batch since they all run, so the commits that fail
 * are those of writers past their start (a writer just restarted spends seconds claiming and
 * reading before its first commit, and a freeze in that time would hit nothing).
 */
export async function failLakeCommits(
  target: LakeTarget,
  durationMs: number,
  timeline: Timeline,
): Promise<void> {
  const { dataPath, table } = target;
  const asked = timeline.now();
  await waitFor(async () => (target.writers.every((w) => w.current() !== undefined) ? true : undefined), {
    what: "every lake writer to run",
    timeoutMs: 60_000,
    intervalMs: 100,
  });
  const before = await batchesCommitted(target.writers);
  await waitFor(async () => ((await batchesCommitted(target.writers)) > before ? true : undefined), {
    what: "a lake writer to commit a batch",
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  const folders = await waitFor(
    async () => {
      const found = tableDayFolders(dataPath, table);
      return found.length > 0 ? found : undefined;
    },
    { what: `a day folder of ${table} under ${dataPath}`, timeoutMs: 60_000, intervalMs: 250 },
  );
  const waitedMs = timeline.now() - asked;
  const frozen: FrozenFolder[] = [];
  try {
    for (const folder of folders) frozen.push(freezeFolder(folder));
    timeline.record(
      "commit-failure-start",
      folders.map((f) => f.slice(dataPath.length + 1)).join(", "),
      `${frozen[0]?.method} for ${durationMs} ms${waitedMs > 200 ? `; waited ${waitedMs} ms for the writers` : ""}`,
    );
    await sleep(durationMs);
  } finally {
    for (const folder of frozen) folder.thaw();
    timeline.record("commit-failure-end", `${frozen.length} folder(s)`, "writable again");
  }
}

/**
 * A schedule step that makes the lake's commits fail for `durationMs` at `atMs` (or once
 * every writer runs); none when this machine cannot freeze folders (root without `chattr`,
 * or a filesystem without the immutable flag), which the plan then says.
 */
export function lakeCommitFailure(
  atMs: number,
  durationMs: number,
  target: LakeTarget,
  timeline: Timeline,
): FaultStep[] {
  if (!canFreezeFolders()) {
    timeline.log(`lake commit failures at ${atMs} ms NOT injected: cannot freeze a folder here`);
    return [];
  }
  return [
    {
      atMs,
      what: `lake commits fail for ${durationMs / 1000} s (${freezeMethod()} on the day folder of ${target.table})`,
      run: () => failLakeCommits(target, durationMs, timeline),
    },
  ];
}
