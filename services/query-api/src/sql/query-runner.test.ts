import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { ConfinedLake } from "../lake/confined-lake.ts";
import {
  createQueryRunner,
  QueryCanceledError,
  QueryFailedError,
  QueryTimeoutError,
  QueryTooLargeError,
} from "./query-runner.ts";

/** A statement that runs for minutes unless interrupted. */
const FOREVER = "SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000000000) b";

/** The runner on an in-memory DuckDB standing in for the confined lake. */
describe("createQueryRunner", () => {
  let instance: DuckDBInstance;
  let lake: ConfinedLake;

  before(async () => {
    instance = await DuckDBInstance.create(":memory:", {
      autoload_known_extensions: "false",
      autoinstall_known_extensions: "false",
      threads: "2",
      memory_limit: "64MB",
    });
    lake = {
      allowedDirectories: [],
      tempDir: "",
      connect: () => DuckDBConnection.create(instance),
      close: () => undefined,
    };
  });
  after(() => instance?.closeSync());

  it("interrupts a statement at its time limit and frees its slot", async () => {
    const runner = createQueryRunner(lake, 2);
    const started = performance.now();
    await assert.rejects(
      runner.run((c) => c.run(FOREVER), { timeoutMs: 300 }),
      (err: unknown) => err instanceof QueryTimeoutError && err.code === "deadline_exceeded",
    );
    assert.ok(performance.now() - started < 5_000);
    assert.equal(runner.running(), 0);
  });

  it("stops a statement whose abort landed between two calls, before it started", async () => {
    const runner = createQueryRunner(lake, 2);
    const abort = new AbortController();
    const started = performance.now();
    const run = runner.run(
      async (c) => {
        // The abort arrives here, while nothing runs in DuckDB (like during the guard's check).
        await sleep(200);
        return c.run(FOREVER);
      },
      { timeoutMs: 600_000, signal: abort.signal },
    );
    setTimeout(() => abort.abort(), 50);
    await assert.rejects(run, (err: unknown) => err instanceof QueryCanceledError && err.code === "canceled");
    assert.ok(performance.now() - started < 5_000, "stopped soon after the abort");
    assert.equal(runner.running(), 0);
  });

  it("classifies running out of memory as resource_exhausted and bad SQL as invalid_argument", async () => {
    const runner = createQueryRunner(lake, 2);
    await assert.rejects(
      runner.run((c) => c.run("SELECT list(range) FROM range(100000000)"), { timeoutMs: 60_000 }),
      (err: unknown) => err instanceof QueryTooLargeError && err.code === "resource_exhausted",
    );
    await assert.rejects(
      runner.run((c) => c.run("SELECT * FROM no_such_table"), { timeoutMs: 60_000 }),
      (err: unknown) => err instanceof QueryFailedError && /no_such_table/.test(err.message),
    );
    assert.equal(runner.running(), 0);
  });

  it("runs at most maxConcurrent statements; a waiter that times out never runs", async () => {
    const runner = createQueryRunner(lake, 1);
    const first = runner.run((c) => c.run(FOREVER), { timeoutMs: 500 });
    let ranSecond = false;
    const second = runner.run(
      async () => {
        ranSecond = true;
      },
      { timeoutMs: 100 },
    );
    await sleep(20);
    assert.equal(runner.running(), 1);
    assert.equal(runner.waiting(), 1);
    await assert.rejects(second, QueryTimeoutError);
    assert.equal(ranSecond, false);
    await assert.rejects(first, QueryTimeoutError);
    assert.equal(runner.running(), 0);
    assert.equal(runner.waiting(), 0);
  });
});
