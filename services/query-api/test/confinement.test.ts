import assert from "node:assert/strict";
import { mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { DuckDBInstance } from "@duckdb/node-api";
import { lakeConfigFrom, requireDuckdbExtensions } from "@langtian/lake";
import { QueryService } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { waitFor } from "@langtian/testing";
import { createApp, type QueryApiApp } from "../src/app.ts";
import { type ConfinedLake, openConfinedLake } from "../src/lake/confined-lake.ts";
import { startWrittenLake, type WrittenLake } from "../src/testing/index.ts";

const EVENTS = 2_000;

/**
 * Every way out of the lake we know of, over the real API on a real lake: each is refused with
 * the right code and a message that says why, and the service answers a normal query right
 * after. The file-system vectors are also tried below the statement guard, on the confined
 * DuckDB itself, to show the sandbox holds on its own.
 */
describe("query API confinement (real lake writer, SQLite catalog)", () => {
  let lake: WrittenLake;
  let app: QueryApiApp;
  let url: string;
  let client: Client<typeof QueryService>;
  let table: string;
  let lakeFile: string;
  /** Outside the lake: a Parquet file and a folder next to the data path. */
  let outside: string;
  let sibling: string;

  before(async () => {
    await provisionDuckdbExtensions();
    lake = await startWrittenLake(EVENTS);
    app = createApp(
      lake.queryApiConfig({ sandbox: { memoryLimit: "256MB", maxTempSize: "256MB", threads: 2 } }),
    );
    await app.start();
    ({ url } = await app.service.listen());
    client = createClient(QueryService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
    table = (await client.listTables({})).tables.find((t) => t.eventTable)?.name ?? assert.fail("no table");
    lakeFile = findParquet(lake.dataPath) ?? assert.fail("no Parquet file in the lake");

    // Files outside the lake that an attacker would like to read, written by an unconfined DuckDB.
    outside = join(lake.dir, "outside");
    sibling = `${lake.dataPath}2`;
    mkdirSync(outside, { recursive: true });
    mkdirSync(sibling, { recursive: true });
    const free = await DuckDBInstance.create(":memory:");
    const c = await free.connect();
    await c.run(`COPY (SELECT 'secret' AS s) TO '${join(outside, "secret.parquet")}'`);
    await c.run(`COPY (SELECT 'secret' AS s) TO '${join(sibling, "secret.parquet")}'`);
    c.closeSync();
    free.closeSync();
    // Symlinks planted inside the lake's data folder, leading out.
    symlinkSync("/etc", join(lake.dataPath, "escape-etc"));
    symlinkSync(outside, join(lake.dataPath, "escape-dir"));
    symlinkSync(join(outside, "secret.parquet"), join(lake.dataPath, "escape-file.parquet"));
  });
  after(async () => {
    await app?.stop();
    await lake?.stop();
  });

  /** Runs `sql` through `Sql` and returns the rows' first cells as JSON-ish strings. */
  const sql = async (text: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}) => {
    const cells: string[][] = [];
    for await (const part of client.sql(
      { sql: text, timeoutMs: options.timeoutMs ?? 0 },
      options.signal === undefined ? {} : { signal: options.signal },
    ))
      if (part.part.case === "rows")
        for (const row of part.part.value.rows)
          cells.push(row.cells.map((v) => String(v.kind.value ?? "null")));
    return cells;
  };

  /** The service still answers a plain read of the lake. */
  const stillServing = async () => {
    assert.deepEqual(await sql(`SELECT count(*) FROM lake.${table}`), [[String(EVENTS)]]);
  };

  /** `text` fails with `code` and a message matching `message`; then the service still serves. */
  const refused = async (text: string, code: Code, message: RegExp, timeoutMs?: number) => {
    await assert.rejects(
      sql(text, timeoutMs === undefined ? {} : { timeoutMs }),
      (err: unknown) => {
        assert.ok(err instanceof ConnectError, `${text}: ${String(err)}`);
        assert.equal(Code[err.code], Code[code], `${text}: ${err.rawMessage}`);
        assert.match(err.rawMessage, message, text);
        return true;
      },
      text,
    );
    await stillServing();
  };
  /** The `queries_running` gauge: statements holding a runner slot now. */
  const running = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^\w*queries_running(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? Number.NaN);
  };
  const notSelect = /only a single SELECT/;
  const tableFunction = /table function "[a-z_]+" is not allowed/;
  const outsideLake = /is not a table of the lake/;

  it("refuses every file-reading table function, however it is named or hidden", async () => {
    const file = join(lake.dataPath, "escape-etc", "passwd");
    for (const text of [
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_csv_auto('/etc/passwd')",
      "SELECT * FROM read_json('/etc/passwd')",
      "SELECT * FROM read_json_objects('/etc/passwd')",
      "SELECT * FROM read_text('/etc/passwd')",
      "SELECT * FROM read_blob('/etc/passwd')",
      `SELECT * FROM read_parquet('${join(outside, "secret.parquet")}')`,
      `SELECT * FROM parquet_metadata('${join(outside, "secret.parquet")}')`,
      `SELECT * FROM parquet_schema('${join(outside, "secret.parquet")}')`,
      "SELECT * FROM sniff_csv('/etc/passwd')",
      "SELECT * FROM glob('/etc/*')",
      `SELECT * FROM read_text('${file}')`,
      `SELECT * FROM read_parquet('${join(lake.dataPath, "escape-file.parquet")}')`,
      `SELECT * FROM read_parquet('${join(sibling, "secret.parquet")}')`,
      `SELECT * FROM read_text('${lake.dataPath}/../outside/secret.parquet')`,
      "SELECT * FROM read_text('~/.bashrc')",
      `SELECT * FROM read_text('${homedir()}/.bashrc')`,
      `SELECT * FROM glob('${lake.dataPath}/**')`,
      "SELECT * FROM \"read_text\"('/etc/passwd')",
      "SELECT * FROM main.read_text('/etc/passwd')",
      "SELECT * FROM system.main.read_csv('/etc/passwd')",
      "SELECT * FROM lake.read_text('/etc/passwd')",
      `SELECT * FROM (SELECT * FROM read_text('/etc/passwd'))`,
      "WITH x AS (SELECT * FROM read_text('/etc/passwd')) SELECT * FROM x",
      `SELECT * FROM lake.${table} e, LATERAL (SELECT * FROM read_text('/etc/passwd')) l`,
      `SELECT event_id::VARCHAR FROM lake.${table} UNION SELECT content FROM read_text('/etc/passwd')`,
      "SELECT (SELECT content FROM read_text('/etc/passwd'))",
      "SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')",
      `SELECT * FROM query_table('lake.${table}')`,
      "SELECT * FROM duckdb_secrets()",
      "SELECT * FROM which_secret('s3://bucket/key', 's3')",
      "SELECT * FROM duckdb_settings()",
    ])
      await refused(text, Code.InvalidArgument, tableFunction);
  });

  it("refuses the lake's own data files read directly: lake.<table> applies deletes, files do not", async () => {
    await refused(`SELECT count(*) FROM read_parquet('${lakeFile}')`, Code.InvalidArgument, tableFunction);
    await refused(`SELECT count(*) FROM '${lakeFile}'`, Code.InvalidArgument, outsideLake);
  });

  it("refuses bare file names and other catalogs as tables", async () => {
    for (const text of [
      "SELECT * FROM '/etc/passwd'",
      'SELECT * FROM "/etc/passwd"',
      "FROM '~/.ssh/id_rsa'",
      `SELECT * FROM '${join(lake.dataPath, "escape-file.parquet")}'`,
      "SELECT * FROM information_schema.tables",
      // DuckDB binds the inner reference to the file, not to the later CTE of the same name.
      `WITH x AS (SELECT * FROM '/etc/passwd'), "/etc/passwd" AS (SELECT 1) SELECT * FROM x`,
    ])
      await refused(text, Code.InvalidArgument, outsideLake);
  });

  it("refuses every statement but one SELECT before it runs", async () => {
    for (const text of [
      `COPY (SELECT * FROM lake.${table}) TO '${join(outside, "copy.csv")}'`,
      `COPY lake.${table} TO '${join(lake.dataPath, "copy.parquet")}'`,
      `EXPORT DATABASE '${join(outside, "export")}'`,
      `ATTACH '${join(outside, "x.db")}' AS x`,
      `ATTACH '${lake.catalogPath}' AS again (READ_ONLY)`,
      "DETACH lake",
      "USE lake",
      "INSTALL httpfs",
      "LOAD httpfs",
      "SET threads = 64",
      "SET enable_external_access = true",
      "SET allowed_directories = ['/']",
      "RESET memory_limit",
      "PRAGMA enable_profiling",
      "CALL checkpoint()",
      "CHECKPOINT",
      "CREATE TEMP TABLE t AS SELECT 1",
      `INSERT INTO lake.${table} SELECT * FROM lake.${table}`,
      `DELETE FROM lake.${table}`,
      `UPDATE lake.${table} SET source_system = 'x'`,
      "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
    ])
      await refused(text, Code.InvalidArgument, notSelect);
    await refused("RESET ALL", Code.InvalidArgument, /cannot be parsed: Can only SET or RESET/);
    await refused("SELECT 1; SELECT 2", Code.InvalidArgument, /statement|SELECT/);
    await refused(
      `SELECT 1; COPY (SELECT 1) TO '${join(outside, "two.csv")}'`,
      Code.InvalidArgument,
      /statement|SELECT/,
    );
  });

  it("refuses reading the server's settings and environment", async () => {
    for (const text of [
      "SELECT current_setting('allowed_directories')",
      "SELECT \"current_setting\"('memory_limit')",
      "SELECT getenv('HOME')",
    ])
      await refused(text, Code.InvalidArgument, /reads the server's configuration/);
    await refused("SELECT * FROM (SHOW DATABASES)", Code.InvalidArgument, /SHOW/);
  });

  it("still reads the lake: time travel, snapshots, CTEs, subqueries", async () => {
    const [first] = await sql("SELECT min(snapshot_id) FROM lake.snapshots()");
    assert.ok(first !== undefined && Number(first[0]) >= 0);
    const snapshots = await sql("SELECT snapshot_id FROM lake.snapshots() ORDER BY 1");
    assert.ok(snapshots.length > 0);
    const latest = snapshots.at(-1)?.[0];
    assert.deepEqual(await sql(`SELECT count(*) FROM lake.${table} AT (VERSION => ${latest})`), [
      [String(EVENTS)],
    ]);
    // The first snapshot that changed the table (its creation): time travel to it works.
    const described = await client.describeTable({ table });
    const [firstWrite = 0n] = described.snapshots.map((x) => x.snapshotId).sort((a, b) => (a < b ? -1 : 1));
    const [atFirst] = await sql(`SELECT count(*) FROM lake.${table} AT (VERSION => ${firstWrite})`);
    assert.ok(Number(atFirst?.[0]) >= 0 && Number(atFirst?.[0]) <= EVENTS, `at ${firstWrite}: ${atFirst}`);
    // Before the table existed, DuckLake says so (the statement passed the guard).
    if (firstWrite > 1n)
      await refused(
        `SELECT count(*) FROM lake.${table} AT (VERSION => 1)`,
        Code.InvalidArgument,
        /does not exist at version 1/,
      );
    assert.deepEqual(
      await sql(
        `WITH e AS (SELECT * FROM lake.${table}) SELECT (SELECT count(*) FROM e) + (SELECT count(*) FROM range(3))`,
      ),
      [[String(EVENTS + 3)]],
    );
  });

  it("interrupts a statement that would run forever at its time limit", async () => {
    for (const text of [
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
      "SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000000000) b",
    ]) {
      const started = performance.now();
      await refused(text, Code.DeadlineExceeded, /ran longer than its limit of 1000 ms/, 1_000);
      assert.ok(performance.now() - started < 15_000, `${text} stopped soon after its limit`);
      assert.equal(await running(), 0, "the interrupted statement gave its slot back");
    }
  });

  it("stops a statement that eats memory at the memory limit", async () => {
    await refused(
      "SELECT list(range) FROM range(200000000)",
      Code.ResourceExhausted,
      /needs more memory or temp space than allowed/,
    );
    await refused(
      "WITH RECURSIVE r(n) AS (SELECT range FROM range(2000000) UNION SELECT n + 2000000 FROM r) SELECT count(*) FROM r",
      Code.ResourceExhausted,
      /needs more memory or temp space than allowed/,
      120_000,
    );
  });

  it("refuses a single value built to a size beyond the memory limit", async () => {
    for (const text of [
      "SELECT len(range(10000000000))",
      "SELECT length(repeat('x', 4000000000))",
      "SELECT length(lpad('', 4000000000, 'x'))",
    ])
      await refused(text, Code.InvalidArgument, /escapes the memory limit/);
  });

  it("cancels a running statement when the client goes away, whenever the abort lands", async () => {
    // Aborted at once (during the guard's check or prepare, between DuckDB calls) and after
    // the statement started executing: either way it stops and gives its slot back.
    for (const delayMs of [0, 20, 300, 300]) {
      const abort = new AbortController();
      const call = sql("SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000000000) b", {
        timeoutMs: 120_000,
        signal: abort.signal,
      }).catch((err: unknown) => err);
      if (delayMs > 0)
        await waitFor(async () => ((await running()) >= 1 ? true : undefined), {
          what: "the statement to run",
          timeoutMs: 10_000,
          intervalMs: 10,
        });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const aborted = performance.now();
      abort.abort();
      const err = await call;
      assert.ok(err instanceof ConnectError && err.code === Code.Canceled, String(err));
      await waitFor(async () => ((await running()) === 0 ? true : undefined), {
        what: `the statement aborted after ${delayMs} ms to be interrupted`,
        timeoutMs: 5_000,
        intervalMs: 50,
      });
      assert.ok(performance.now() - aborted < 5_000);
      await stillServing();
    }
  });

  it("gives the slot back at the time limit when the client stops reading but stays connected", async () => {
    const stream = client
      .sql({ sql: "SELECT * FROM range(100000000)", timeoutMs: 1_000, maxRows: 100_000 })
      [Symbol.asyncIterator]();
    const first = await stream.next();
    assert.equal(first.value?.part.case, "header");
    // The client reads nothing more: the statement waits on it, not on DuckDB.
    await waitFor(async () => ((await running()) === 0 ? true : undefined), {
      what: "the statement waiting on a stalled client to give its slot back at its limit",
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    await stream.return?.(undefined);
    await stillServing();
  });

  describe("below the statement guard: the confined DuckDB itself", () => {
    let confined: ConfinedLake;
    let connection: Awaited<ReturnType<ConfinedLake["connect"]>>;

    before(async () => {
      const config = lake.queryApiConfig();
      confined = await openConfinedLake(
        lakeConfigFrom(config.lake),
        await requireDuckdbExtensions(config.lake.extensionDir),
        { tempDir: join(lake.dir, "direct-tmp"), threads: 1, memoryLimit: "256MB", maxTempSize: "256MB" },
      );
      connection = await confined.connect();
    });
    after(() => confined?.close());

    const denied = async (text: string) => {
      await assert.rejects(connection.run(text), /Permission Error: Cannot access (file|directory)/, text);
    };

    it("reads the lake's own files (inside the allowed folder)", async () => {
      const reader = await connection.runAndReadAll(`SELECT count(*) > 0 FROM read_parquet('${lakeFile}')`);
      assert.equal(reader.getRows()[0]?.[0], true);
    });

    it("refuses a symlink inside the lake's data folder leading out, to a folder or a file", async () => {
      await denied(`SELECT * FROM read_text('${join(lake.dataPath, "escape-etc", "passwd")}')`);
      await denied(`SELECT * FROM read_csv('${join(lake.dataPath, "escape-etc", "passwd")}')`);
      await denied(`SELECT * FROM glob('${join(lake.dataPath, "escape-etc")}/*')`);
      await denied(`SELECT * FROM read_parquet('${join(lake.dataPath, "escape-dir", "secret.parquet")}')`);
      await denied(`SELECT * FROM read_parquet('${join(lake.dataPath, "escape-file.parquet")}')`);
      await denied(`SELECT * FROM '${join(lake.dataPath, "escape-file.parquet")}'`);
    });

    it("refuses .., a sibling sharing the data path's prefix, ~ and the temp folder's neighbours", async () => {
      await denied(`SELECT * FROM read_parquet('${lake.dataPath}/../outside/secret.parquet')`);
      await denied(`SELECT * FROM read_parquet('${lake.dataPath}/x/../../outside/secret.parquet')`);
      await denied(`SELECT * FROM read_parquet('${join(sibling, "secret.parquet")}')`);
      await denied(`SELECT * FROM glob('${sibling}/*')`);
      await denied("SELECT * FROM read_text('~/.bashrc')");
      await denied("SELECT * FROM glob('~/*')");
      const temp = confined.tempDir;
      await denied(`SELECT * FROM read_parquet('${temp}../outside/secret.parquet')`);
      await denied(`SELECT * FROM glob('${dirname(temp)}/*')`);
      await denied(`SELECT * FROM read_parquet('${join(lake.dir, "query-tmp")}/x.parquet')`);
      await denied(`COPY (SELECT 1) TO '${join(outside, "written.csv")}'`);
    });

    it("keeps its settings locked", async () => {
      for (const text of [
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "RESET memory_limit",
        "SET threads = 64",
      ])
        await assert.rejects(connection.run(text), /the configuration has been locked/, text);
      await assert.rejects(
        connection.run(`ATTACH '${join(outside, "x.db")}' AS x`),
        /Permission Error|disabled by configuration/,
      );
      // Refused before any download: the extension folder is outside the allowed folders.
      for (const text of [
        "INSTALL httpfs",
        "FORCE INSTALL httpfs",
        "INSTALL httpfs FROM 'http://127.0.0.1:9'",
      ])
        await assert.rejects(connection.run(text), /Permission Error: Cannot access directory/, text);
      await assert.rejects(
        connection.run("LOAD httpfs"),
        /Permission Error: Loading external extensions is disabled/,
      );
    });
  });
});

/** The first Parquet file below `dir` (not following symlinks). */
function findParquet(dir: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findParquet(path);
      if (found !== undefined) return found;
    } else if (entry.isFile() && entry.name.endsWith(".parquet")) return path;
  }
  return undefined;
}
