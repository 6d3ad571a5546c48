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

/** Settings of a test lake: any {@link LakeConfig} field, or a local catalog kind in its folder. */
export type TestLakeOptions = Partial<LakeConfig> & {
  /** A local catalog file of this kind in the test lake's folder (default `duckdb`). */
  readonly catalogKind?: "duckdb" | "sqlite";
};

/**
 * Opens a lake in a new temporary folder (test helper): a DuckDB-file catalog unless
 * `catalogKind` or `catalog` says otherwise.
 */
export async function openTestLake(options: TestLakeOptions = {}): Promise<TestLake> {
  const { catalogKind = "duckdb", ...overrides } = options;
  const dir = await mkdtemp(join(tmpdir(), "langtian-lake-"));
  const config: LakeConfig = {
    catalog: {
      kind: catalogKind,
      path: join(dir, catalogKind === "sqlite" ? "catalog.sqlite" : "catalog.ducklake"),
    },
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
export async function openWritableTestLake(options: TestLakeOptions = {}): Promise<WritableTestLake> {
  const test = await openTestLake(options);
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
