import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { DuckDBConnection } from "@duckdb/node-api";
import { quoteString } from "@langtian/lake";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { tempDir } from "@langtian/testing";
import { lakeConfigOf, loadLakeWriterConfig } from "../../src/config.ts";
import { type OpenLake, openLake } from "../../src/lake/open-lake.ts";
import { queryNumber } from "../../src/testing/test-lake.ts";

/** Opens a lake in `dir` the way the service does: env → config → lakeConfigOf → openLake. */
async function openConfiguredLake(dir: string, inliningRowLimit?: number): Promise<OpenLake> {
  const config = loadLakeWriterConfig({
    LANGTIAN_LAKE_WRITER_LAKE_CATALOG_PATH: join(dir, "catalog.sqlite"),
    LANGTIAN_LAKE_WRITER_LAKE_DATA_PATH: join(dir, "data"),
    ...(inliningRowLimit !== undefined && {
      LANGTIAN_LAKE_WRITER_LAKE_DATA_INLINING_ROW_LIMIT: String(inliningRowLimit),
    }),
  });
  return openLake(lakeConfigOf(config), await provisionDuckdbExtensions());
}

/** Rows a plain Parquet reader finds under the data path (it knows nothing of the catalog). */
async function rowsInParquetFiles(connection: DuckDBConnection, dir: string): Promise<number> {
  const files = await queryNumber(
    connection,
    `SELECT count(*) FROM glob(${quoteString(join(dir, "data", "**", "*.parquet"))})`,
  );
  if (files === 0) return 0;
  return queryNumber(
    connection,
    `SELECT count(*) FROM read_parquet(${quoteString(join(dir, "data", "**", "*.parquet"))})`,
  );
}

describe("data inlining setting", () => {
  const lakes: OpenLake[] = [];
  after(() => {
    for (const lake of lakes) lake.close();
  });

  async function writeSmallBatch(dir: string, inliningRowLimit?: number): Promise<DuckDBConnection> {
    const lake = await openConfiguredLake(dir, inliningRowLimit);
    lakes.push(lake);
    const connection = await lake.connect();
    await connection.run("CREATE TABLE IF NOT EXISTS lake.small (id INTEGER)");
    await connection.run("INSERT INTO lake.small VALUES (1), (2), (3)");
    return connection;
  }

  it("by default (0) writes even a 3-row batch as a Parquet file that a plain reader sees", async () => {
    const dir = tempDir("inlining-off");
    const connection = await writeSmallBatch(dir);
    assert.equal(
      await queryNumber(connection, "SELECT count(*) FROM ducklake_list_files('lake', 'small')"),
      1,
    );
    assert.equal(await rowsInParquetFiles(connection, dir), 3);
  });

  it("with a limit of 10 keeps the 3-row batch in the catalog (no Parquet file)", async () => {
    const dir = tempDir("inlining-on");
    const connection = await writeSmallBatch(dir, 10);
    assert.equal(await queryNumber(connection, "SELECT count(*) FROM lake.small"), 3);
    assert.equal(
      await queryNumber(connection, "SELECT count(*) FROM ducklake_list_files('lake', 'small')"),
      0,
    );
    assert.equal(await rowsInParquetFiles(connection, dir), 0);
  });

  it("0 wins over a lake-wide limit stored in the catalog earlier", async () => {
    const dir = tempDir("inlining-stored");
    const first = await writeSmallBatch(dir, 10);
    await first.run("CALL lake.set_option('data_inlining_row_limit', 10)");
    lakes.pop()?.close();
    const connection = await writeSmallBatch(dir, 0);
    assert.equal(await queryNumber(connection, "SELECT count(*) FROM lake.small"), 6);
    // The first 3 rows stayed inlined; the second batch is the one Parquet file.
    assert.equal(
      await queryNumber(connection, "SELECT count(*) FROM ducklake_list_files('lake', 'small')"),
      1,
    );
    assert.equal(await rowsInParquetFiles(connection, dir), 3);
  });
});
