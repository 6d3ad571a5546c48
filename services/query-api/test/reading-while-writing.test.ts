import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { create, type JsonValue, toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { QueryService, type Row } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { startPostgres, type TestPostgres } from "@langtian/testing";
import { createApp, type QueryApiApp } from "../src/app.ts";
import { startWrittenLake, type WrittenLake, waitForCommitted } from "../src/testing/index.ts";

const FIRST = 3_000;
const MORE = 2_000;

/**
 * The query API reads while the lake writer commits, on both multi-process catalogs: pages of a
 * browse stay on the snapshot of the first page (no row twice, none skipped) while new events
 * land, time travel sees each snapshot as it was, and a new browse sees everything.
 */
for (const catalog of ["sqlite", "postgres"] as const) {
  describe(`reading while the lake writer writes (${catalog} catalog)`, () => {
    let postgres: TestPostgres | undefined;
    let lake: WrittenLake | undefined;
    let app: QueryApiApp | undefined;
    after(async () => {
      await app?.stop();
      await lake?.stop();
      await postgres?.stop();
    });

    it("keeps a browse on its snapshot while ingest goes on, and travels in time", async () => {
      await provisionDuckdbExtensions();
      if (catalog === "postgres") postgres = await startPostgres();
      lake = await startWrittenLake(FIRST, postgres === undefined ? {} : { postgresDsn: postgres.dsn });
      app = createApp(lake.queryApiConfig());
      await app.start();
      const { url } = await app.service.listen();
      const client: Client<typeof QueryService> = createClient(
        QueryService,
        createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
      );
      const table =
        (await client.listTables({})).tables.find((t) => t.eventTable)?.name ?? assert.fail("no table");
      const cell = (row: Row, i: number): JsonValue =>
        toJson(ValueSchema, row.cells[i] ?? create(ValueSchema));

      let page = await client.browse({ filter: { table }, pageSize: 400 });
      const pinned = page.snapshotId;
      const idIndex = page.columns.findIndex((c) => c.name === "event_id");
      const seen: string[] = page.rows.map((r) => String(cell(r, idIndex)));
      // More events land while the client pages on.
      await lake.produce(MORE);
      await waitForCommitted(lake.writer, FIRST + MORE);
      while (page.nextCursor !== "") {
        page = await client.browse({ cursor: page.nextCursor });
        assert.equal(page.snapshotId, pinned, "every page reads the first page's snapshot");
        for (const r of page.rows) seen.push(String(cell(r, idIndex)));
      }
      assert.equal(seen.length, FIRST, "exactly the events of the pinned snapshot");
      assert.equal(new Set(seen).size, FIRST, "none twice");

      const now = await client.listTables({});
      assert.ok(now.snapshotId > pinned, "the writer committed meanwhile");
      assert.equal(now.tables.find((t) => t.name === table)?.rows, BigInt(FIRST + MORE));
      const then = await client.listTables({ at: { at: { case: "snapshotId", value: pinned } } });
      assert.equal(then.tables.find((t) => t.name === table)?.rows, BigInt(FIRST), "time travel by snapshot");
      const snapshots = (await client.listSnapshots({ limit: 1000 })).snapshots;
      const pinnedTime = snapshots.find((s) => s.snapshotId === pinned)?.time;
      assert.ok(pinnedTime !== undefined);
      const byTime = await client.listTables({ at: { at: { case: "time", value: pinnedTime } } });
      assert.equal(byTime.snapshotId, pinned, "time travel by time picks the snapshot current then");

      let fresh = await client.browse({ filter: { table }, pageSize: 1000 });
      let total = fresh.rows.length;
      while (fresh.nextCursor !== "") {
        fresh = await client.browse({ cursor: fresh.nextCursor });
        total += fresh.rows.length;
      }
      assert.equal(total, FIRST + MORE, "a new browse sees every event");
    });
  });
}
