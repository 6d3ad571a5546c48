import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, type JsonValue, toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AggregateFunction, Direction, QueryService, type Row } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { createApp, type QueryApiApp } from "../src/app.ts";
import { FIRST_EVENT_MS, startWrittenLake, type WrittenLake } from "../src/testing/index.ts";

const EVENTS = 5_000;

/** The query API on a lake a real lake writer wrote from real Kafka, called over Connect. */
describe("query API (real lake writer, SQLite catalog)", () => {
  let lake: WrittenLake;
  let app: QueryApiApp;
  let client: Client<typeof QueryService>;
  let table: string;

  before(async () => {
    await provisionDuckdbExtensions();
    lake = await startWrittenLake(EVENTS);
    app = createApp(lake.queryApiConfig());
    await app.start();
    const { url } = await app.service.listen();
    client = createClient(QueryService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
    const tables = await client.listTables({});
    table = tables.tables.find((t) => t.eventTable)?.name ?? assert.fail("no event table");
  });
  after(async () => {
    await app?.stop();
    await lake?.stop();
  });

  const cell = (row: Row | undefined, i: number): JsonValue =>
    row?.cells[i] === undefined ? null : toJson(ValueSchema, row.cells[i]);

  it("lists the tables with rows, files and bytes, and describes one", async () => {
    const { tables, snapshotId } = await client.listTables({});
    const events = tables.find((t) => t.name === table);
    assert.equal(events?.rows, BigInt(EVENTS));
    assert.ok((events?.files ?? 0n) > 0n && (events?.bytes ?? 0n) > 0n);
    assert.ok(snapshotId > 0n);
    const described = await client.describeTable({ table });
    const names = described.columns.map((c) => c.name);
    for (const c of ["event_id", "event_timestamp", "source_system", "_source", "_partition", "_position"])
      assert.ok(names.includes(c), `${c} in ${names.join(", ")}`);
    assert.deepEqual(described.partitioning, [
      "year(event_timestamp)",
      "month(event_timestamp)",
      "day(event_timestamp)",
    ]);
    assert.ok(described.snapshots.length > 0, "the snapshots that wrote it");
  });

  it("browses every event exactly once, forward and backward, page by page", async () => {
    for (const direction of [Direction.FORWARD, Direction.BACKWARD]) {
      const seen: string[] = [];
      let page = await client.browse({ filter: { table }, pageSize: 700, direction });
      const idIndex = page.columns.findIndex((c) => c.name === "event_id");
      const tsIndex = page.columns.findIndex((c) => c.name === "event_timestamp");
      const times: string[] = [];
      for (;;) {
        for (const row of page.rows) {
          seen.push(String(cell(row, idIndex)));
          times.push(String(cell(row, tsIndex)));
        }
        if (page.nextCursor === "") break;
        page = await client.browse({ cursor: page.nextCursor });
      }
      assert.equal(seen.length, EVENTS);
      assert.equal(new Set(seen).size, EVENTS, "no event twice");
      const sorted = [...times].sort();
      assert.deepEqual(times, direction === Direction.FORWARD ? sorted : sorted.reverse());
    }
  });

  it("filters by time range, source system and a payload column", async () => {
    const from = FIRST_EVENT_MS + 1000;
    const page = await client.browse({
      filter: {
        table,
        from: { seconds: BigInt(from / 1000), nanos: 0 },
        to: { seconds: BigInt((from + 1000) / 1000), nanos: 0 },
        sourceSystem: "plant-a",
      },
      pageSize: 1000,
    });
    assert.equal(page.rows.length, 500, "1,000 events in the second, half of them from plant-a");
    assert.equal(page.nextCursor, "");
  });

  it("finds an event by id with its lineage", async () => {
    const first = await client.browse({ filter: { table }, pageSize: 1 });
    const id = String(
      cell(
        first.rows[0],
        first.columns.findIndex((c) => c.name === "event_id"),
      ),
    );
    const found = await client.getEvent({ eventId: id });
    assert.equal(found.table, table);
    assert.equal(
      cell(
        found.row,
        found.columns.findIndex((c) => c.name === "event_id"),
      ),
      id,
    );
    assert.equal(found.lineage?.source, `kafka:${lake.topic}`);
    assert.ok(found.lineage?.committedTime !== undefined, "the commit time the writer recorded");
    assert.match(found.lineage?.partition ?? "", /^[01]$/);
    assert.ok((found.lineage?.snapshotId ?? 0n) > 0n);
    assert.ok(found.lineage?.snapshotTime !== undefined);
    assert.ok(found.lineage?.receivedTime !== undefined);
    assert.match(found.lineage?.file ?? "", /\.parquet$/);
    await assert.rejects(
      client.getEvent({ eventId: "00000000-0000-7000-8000-000000000000" }),
      (err: unknown) => {
        return err instanceof ConnectError && err.code === Code.NotFound;
      },
    );
  });

  it("aggregates per bucket and dimension", async () => {
    const result = await client.aggregate({
      filter: { table },
      bucketSeconds: 1,
      dimensions: ["source_system"],
      measures: [{ function: AggregateFunction.COUNT }],
    });
    assert.deepEqual(
      result.columns.map((c) => c.name),
      ["bucket", "source_system", "count"],
    );
    const total = result.rows.reduce((sum, r) => sum + Number(cell(r, 2)), 0);
    assert.equal(total, EVENTS);
    assert.equal(result.rows.length, 10, "5 one-second buckets × 2 source systems");
  });

  it("runs a read-only SELECT with named parameters, streaming the rows", async () => {
    const parts = [];
    for await (const part of client.sql({
      sql: `SELECT source_system, count(*) AS n FROM lake.${table} WHERE event_timestamp >= $from::TIMESTAMPTZ GROUP BY 1 ORDER BY 1`,
      params: {
        from: create(ValueSchema, {
          kind: { case: "stringValue", value: new Date(FIRST_EVENT_MS).toISOString() },
        }),
      },
    }))
      parts.push(part.part);
    assert.equal(parts[0]?.case, "header");
    const rows = parts.flatMap((p) => (p.case === "rows" ? p.value.rows : []));
    assert.deepEqual(
      rows.map((r) => [cell(r, 0), cell(r, 1)]),
      [
        ["plant-a", String(EVENTS / 2)],
        ["plant-b", String(EVENTS / 2)],
      ],
    );
    assert.equal(parts.at(-1)?.case, "summary");
  });

  it("refuses anything but one SELECT of the lake with invalid_argument", async () => {
    for (const sql of [
      `COPY (SELECT 1) TO '/tmp/x.csv'`,
      `SELECT * FROM read_text('/etc/passwd')`,
      `SELECT * FROM '/etc/passwd'`,
      "SELECT 1; SELECT 2",
      "ATTACH '/tmp/x.db' AS x",
    ]) {
      await assert.rejects(
        (async () => {
          for await (const _ of client.sql({ sql })) {
            // drained
          }
        })(),
        (err: unknown) => err instanceof ConnectError && err.code === Code.InvalidArgument,
        sql,
      );
    }
  });

  it("lists snapshots and follows the change feed", async () => {
    const { snapshots } = await client.listSnapshots({ limit: 5 });
    assert.ok(snapshots.length > 0);
    const ids = snapshots.map((s) => s.snapshotId);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => (a > b ? -1 : 1)),
      "newest first",
    );
    let inserted = 0;
    let cursor = "";
    let next = 0n;
    for (;;) {
      const page = await client.changes({ table, startSnapshot: 0n, limit: 1000, cursor });
      const typeIndex = page.columns.findIndex((c) => c.name === "change_type");
      inserted += page.rows.filter((r) => cell(r, typeIndex) === "insert").length;
      if (page.cursor === "") {
        next = page.nextStartSnapshot;
        break;
      }
      cursor = page.cursor;
    }
    const latest = (await client.listSnapshots({ limit: 1 })).snapshots[0]?.snapshotId ?? 0n;
    assert.equal(next, latest + 1n, "the next poll starts after the latest snapshot");
    const empty = await client.changes({ table, startSnapshot: next });
    assert.equal(empty.rows.length, 0, "nothing new since");
    assert.equal(inserted, EVENTS);
  });

  it("answers bad requests with invalid_argument or not_found, never internal", async () => {
    const codes = async (call: () => Promise<unknown>) => {
      try {
        await call();
        return "ok";
      } catch (err) {
        return ConnectError.from(err).code;
      }
    };
    assert.equal(await codes(() => client.describeTable({ table: "no_such_table" })), Code.NotFound);
    assert.equal(await codes(() => client.browse({ cursor: "garbage" })), Code.InvalidArgument);
    assert.equal(
      await codes(() => client.browse({ filter: { table }, pageSize: 1_000_000 })),
      Code.InvalidArgument,
    );
    assert.equal(
      await codes(() =>
        client.browse({ filter: { table, columns: [{ column: "nope", value: create(ValueSchema, {}) }] } }),
      ),
      Code.InvalidArgument,
    );
    assert.equal(await codes(() => client.getEvent({ eventId: "not-a-uuid" })), Code.InvalidArgument);
    assert.equal(
      await codes(() => client.listTables({ at: { at: { case: "snapshotId", value: 999_999n } } })),
      Code.NotFound,
    );
  });
});
