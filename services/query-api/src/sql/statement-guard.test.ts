import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { checkReadOnlyStatement, StatementRejectedError } from "./statement-guard.ts";

/**
 * The statement guard on an in-memory DuckDB where `lake` is an attached in-memory database
 * with one table and a stand-in for the lake's `snapshots()` function: the guard only parses,
 * inspects and prepares, so no DuckLake extension is needed.
 */
describe("checkReadOnlyStatement", () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  before(async () => {
    instance = await DuckDBInstance.create(":memory:", {
      autoload_known_extensions: "false",
      autoinstall_known_extensions: "false",
    });
    connection = await DuckDBConnection.create(instance);
    await connection.run("ATTACH ':memory:' AS lake");
    await connection.run("CREATE TABLE lake.events AS SELECT range AS id, 'a' AS source FROM range(10)");
    await connection.run("CREATE MACRO lake.snapshots() AS TABLE SELECT 1 AS snapshot_id");
    await connection.run("CREATE TABLE main.local_table AS SELECT 1 AS x");
  });
  after(() => {
    connection?.closeSync();
    instance?.closeSync();
  });

  const refused = async (sql: string, reason: string, message?: RegExp) => {
    await assert.rejects(
      checkReadOnlyStatement(connection, sql),
      (err: unknown) => {
        assert.ok(err instanceof StatementRejectedError, `${sql}: ${String(err)}`);
        assert.equal(err.reason, reason, `${sql}: ${err.message}`);
        assert.equal(err.code, "invalid_argument");
        if (message !== undefined) assert.match(err.message, message, sql);
        return true;
      },
      sql,
    );
  };

  it("accepts one read of the lake in its usual shapes", async () => {
    for (const sql of [
      "SELECT count(*) FROM lake.events",
      "FROM lake.events",
      "SELECT * FROM lake.main.events WHERE id > $min",
      "VALUES (1), (2)",
      "SELECT 1",
      "WITH e AS (SELECT * FROM lake.events) SELECT source, count(*) FROM e GROUP BY ALL",
      "WITH a AS (SELECT 1 AS x), b AS (SELECT * FROM a) SELECT * FROM b",
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
      "SELECT * FROM range(5) r, generate_series(1, 3) g, unnest([1, 2]) u",
      "SELECT * FROM lake.events e, LATERAL (SELECT e.id + 1) l",
      "SELECT (SELECT max(id) FROM lake.events)",
      "SELECT id FROM lake.events UNION SELECT 1",
      "SELECT * FROM lake.snapshots()",
      "SELECT * FROM (DESCRIBE SELECT * FROM lake.events)",
      "SELECT * FROM (SUMMARIZE lake.events)",
      "SELECT getvariable('v'), list_value(1, 2), 'a' || 'b', [1, 2, 3][1:2]",
      "SELECT * FROM range(3) r WHERE r.range IN (SELECT * FROM generate_series(0, 1))",
    ])
      await checkReadOnlyStatement(connection, sql);
  });

  it("refuses statements other than one SELECT before they run", async () => {
    for (const sql of [
      "COPY (SELECT 1) TO '/tmp/x.csv'",
      "COPY lake.events TO '/tmp/x.parquet'",
      "EXPORT DATABASE '/tmp/x'",
      "ATTACH '/tmp/x.db' AS x",
      "ATTACH '/tmp/x.db' AS x (READ_ONLY)",
      "DETACH lake",
      "USE lake",
      "INSTALL httpfs",
      "LOAD httpfs",
      "SET threads = 1",
      "SET GLOBAL enable_external_access = true",
      "RESET memory_limit",
      "PRAGMA enable_profiling",
      "CALL checkpoint()",
      "CHECKPOINT",
      "CREATE TEMP TABLE t AS SELECT 1",
      "CREATE MACRO m() AS 1",
      "INSERT INTO lake.events VALUES (1, 'b')",
      "DELETE FROM lake.events",
      "UPDATE lake.events SET source = 'b'",
      "EXPLAIN SELECT 1",
      "PIVOT lake.events ON source USING count(*)",
      "PREPARE p AS SELECT 1",
      "SET VARIABLE v = 1",
      "CREATE SECRET s (TYPE s3)",
    ])
      await refused(sql, "not_select", /only a single SELECT/);
  });

  it("refuses several statements, an empty one and garbage", async () => {
    await assert.rejects(checkReadOnlyStatement(connection, "SELECT 1; SELECT 2"), StatementRejectedError);
    await assert.rejects(
      checkReadOnlyStatement(connection, "SELECT 1; COPY (SELECT 1) TO '/tmp/x.csv'"),
      StatementRejectedError,
    );
    await refused("   ", "empty");
    await refused("SELEC 1", "syntax", /cannot be parsed/);
  });

  it("names the line and column of a syntax or binder error", async () => {
    await refused("SELECT *\n  FORM lake.events", "syntax", /at or near "lake" at line 2, column 8$/);
    await assert.rejects(
      checkReadOnlyStatement(connection, "SELECT\n  id,\n  nope\nFROM lake.events"),
      (err: unknown) => {
        assert.match(
          String((err as Error).message.split("\n")[0]),
          /^Binder Error: .*"nope".* at line 3, column 3$/,
        );
        return true;
      },
    );
    // DuckDB shows a long line as a window around the place.
    const long = `SELECT ${Array.from({ length: 40 }, (_, i) => `id AS c${i}`).join(", ")}, nope FROM lake.events`;
    await assert.rejects(checkReadOnlyStatement(connection, long), (err: unknown) => {
      const column = long.indexOf("nope") + 1;
      assert.match(String((err as Error).message.split("\n")[0]), new RegExp(`at line 1, column ${column}$`));
      return true;
    });
  });

  it("refuses table functions however they are named, quoted or hidden", async () => {
    for (const sql of [
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_csv_auto('/etc/passwd')",
      "SELECT * FROM read_json('/etc/x.json')",
      "SELECT * FROM read_text('/etc/passwd')",
      "SELECT * FROM read_blob('/etc/passwd')",
      "SELECT * FROM read_parquet('/etc/x.parquet')",
      "SELECT * FROM parquet_scan('/etc/x.parquet')",
      "SELECT * FROM parquet_metadata('/etc/x.parquet')",
      "SELECT * FROM sniff_csv('/etc/passwd')",
      "SELECT * FROM glob('/etc/*')",
      "SELECT * FROM \"read_text\"('/etc/passwd')",
      "SELECT * FROM \"READ_TEXT\"('/etc/passwd')",
      "SELECT * FROM main.read_text('/etc/passwd')",
      "SELECT * FROM system.main.read_csv('/etc/passwd')",
      "SELECT * FROM lake.read_text('/etc/passwd')",
      "SELECT * FROM system.main.range(3)",
      "SELECT * FROM (SELECT * FROM read_text('/etc/passwd'))",
      "WITH x AS (SELECT * FROM read_text('/etc/passwd')) SELECT * FROM x",
      "SELECT * FROM lake.events, LATERAL (SELECT * FROM read_text('/etc/passwd'))",
      "SELECT id::VARCHAR FROM lake.events UNION ALL SELECT content FROM read_text('/etc/passwd')",
      "SELECT (SELECT content FROM read_text('/etc/passwd'))",
      "SELECT * FROM lake.events WHERE source IN (SELECT content FROM read_text('/etc/passwd'))",
      "SELECT * FROM (DESCRIBE SELECT * FROM read_text('/etc/passwd'))",
      "SELECT * FROM query('SELECT 1')",
      "SELECT * FROM query_table('lake.events')",
      "SELECT * FROM duckdb_settings()",
      "SELECT * FROM duckdb_secrets()",
      "SELECT * FROM which_secret('s3://bucket/x', 's3')",
      "SELECT * FROM duckdb_extensions()",
      "SELECT * FROM checkpoint()",
      "SELECT * FROM ducklake_snapshots('lake')",
    ])
      await refused(sql, "table_function", /is not allowed/);
  });

  it("refuses reading anything but the lake's tables and the statement's own CTEs", async () => {
    for (const sql of [
      "SELECT * FROM '/etc/passwd'",
      'SELECT * FROM "/etc/passwd"',
      "FROM '~/.ssh/id_rsa'",
      "SELECT * FROM 'data/*.parquet'",
      "SELECT * FROM local_table",
      "SELECT * FROM main.local_table",
      "SELECT * FROM memory.main.local_table",
      "SELECT * FROM system.main.duckdb_settings",
      "SELECT * FROM information_schema.tables",
      "SELECT * FROM (SELECT * FROM '/etc/passwd')",
      // A CTE is not in scope in its own (non-recursive) definition nor in earlier ones: DuckDB
      // binds those references to the file or table, so the guard must too.
      'WITH "/etc/passwd" AS (SELECT * FROM \'/etc/passwd\') SELECT * FROM "/etc/passwd"',
      "WITH x AS (SELECT * FROM '/etc/passwd'), \"/etc/passwd\" AS (SELECT 1) SELECT * FROM x",
      "WITH RECURSIVE local_table AS (SELECT * FROM local_table) SELECT * FROM local_table",
      // A CTE of a subquery is not in scope outside it.
      "SELECT * FROM (WITH local_table AS (SELECT 1) SELECT * FROM local_table), local_table",
    ])
      await refused(sql, "outside_lake", /is not a table of the lake/);
  });

  it("refuses SHOW of a name and functions that read the server's settings", async () => {
    await refused("SELECT * FROM (SHOW TABLES)", "show");
    await refused("SELECT * FROM (SHOW DATABASES)", "show");
    for (const sql of [
      "SELECT current_setting('allowed_directories')",
      "SELECT \"current_setting\"('memory_limit')",
      "SELECT main.current_setting('threads')",
      "SELECT getenv('HOME')",
      "SELECT * FROM lake.events WHERE source = current_setting('home_directory')",
    ])
      await refused(sql, "scalar_function", /reads the server's configuration/);
    await refused("SELECT * FROM range(current_setting('threads')::INT)", "scalar_function");
  });

  it("refuses scalar functions that build one value of a size they are given", async () => {
    for (const sql of [
      "SELECT len(range(10000000000))",
      "SELECT len(generate_series(1, 10000000000))",
      "SELECT length(repeat('x', 4000000000))",
      "SELECT length(('x').repeat(4000000000))",
      "SELECT length(lpad('', 4000000000, 'x'))",
      "SELECT length(rpad('', 4000000000, 'x'))",
      "SELECT len(list_resize([1], 10000000000))",
      "SELECT len(array_resize([1], 10000000000))",
      "SELECT * FROM range((SELECT len(range(10))))",
      "SELECT * FROM lake.events WHERE id IN (SELECT unnest(range(10000000000)))",
    ])
      await refused(sql, "scalar_function", /escapes the memory limit/);
  });
});
