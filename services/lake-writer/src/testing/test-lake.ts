import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { LakeConfig } from "@langtian/lake";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { waitFor } from "@langtian/testing";
import { type OpenLake, openLake } from "../lake/open-lake.ts";
import { ensureStateSchema } from "../lake/partition-ledger.ts";

/** A lake in a fresh temporary folder, for tests; `dispose()` closes and deletes it. */
export interface TestLake {
  dir: string;
  config: LakeConfig;
  lake: OpenLake;
  dispose(): Promise<void>;
}

/** Opens a DuckDB-file-catalog lake in a new temporary folder (test helper). */
export async function openTestLake(overrides: Partial<LakeConfig> = {}): Promise<TestLake> {
  const dir = await mkdtemp(join(tmpdir(), "langtian-lake-"));
  const config: LakeConfig = {
    catalog: { kind: "duckdb", path: join(dir, "catalog.ducklake") },
    dataPath: join(dir, "data"),
    ...overrides,
  };
  const lake = await openLake(config, await provisionDuckdbExtensions());
  return {
    dir,
    config,
    lake,
    async dispose() {
      lake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A test lake the writer can commit to at once, with a connection to set it up and check it. */
export interface WritableTestLake extends TestLake {
  /** Its own connection (a loop under test gets another one). */
  connection: DuckDBConnection;
}

/**
 * {@link openTestLake} plus the writer's state schema: partitions can be claimed and batches
 * committed right away, as every writer test needs.
 */
export async function openWritableTestLake(overrides: Partial<LakeConfig> = {}): Promise<WritableTestLake> {
  const test = await openTestLake(overrides);
  try {
    const connection = await test.lake.connect();
    await ensureStateSchema(connection);
    return { ...test, connection };
  } catch (err) {
    await test.dispose();
    throw err;
  }
}

/** The first column of the first row of a query, as a number (test helper). */
export async function queryNumber(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(sql);
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

/** Polls until a query's number equals `expected` (a missing table counts as "not yet"). */
export async function waitForNumber(
  connection: DuckDBConnection,
  sql: string,
  expected: number,
  timeoutMs = 60_000,
): Promise<void> {
  let last: number | undefined;
  await waitFor(
    async () => {
      last = await queryNumber(connection, sql);
      return last === expected ? true : undefined;
    },
    { what: `${sql} = ${expected}`, timeoutMs, intervalMs: 250 },
  ).catch((err: Error) => {
    // The value seen last, not at the call: "still 6000" and "never answered" are different stalls.
    throw new Error(`${err.message}; last value: ${last ?? "none (every query failed)"}`, { cause: err });
  });
}
