import assert from "node:assert/strict";
import { dirname } from "node:path";
import { describe, it } from "node:test";
import { type JsonValue, toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { runSimulator } from "@langtian/collector";
import { QueryService, type Row } from "@langtian/proto";
import { startQueryApiProcess, waitFor } from "@langtian/testing";
import { connect } from "@nats-io/transport-node";
import { readStreamEventIds } from "./support/accepted-events.ts";
import { formatObservation, observe } from "./support/observe.ts";
import { type PipelineSource, startPipeline, TELEMETRY_TABLE } from "./support/pipeline.ts";
import { createTimeline } from "./support/timeline.ts";

// The promise as another system sees it: device frames sent over UDP to the collector come
// out of the query API, each accepted event exactly once and with its lineage (where the lake
// writer read it, the snapshot that committed it, the Parquet file holding it). Every service
// is a child process from its `main.ts`; the query API reads the lake the lake writer wrote.
// No faults here: the chaos tests prove the lake exact under faults, this one proves the last
// hop, reading, on both paths the platform offers.

const EVENTS = 20_000;
/** How many events GetEvent looks up one by one (spread over the whole feed). */
const LOOKUPS = 40;

const paths: { name: string; source: PipelineSource }[] = [
  { name: "through Kafka", source: { kind: "kafka", bridges: 1, lakeWriters: 1, partitions: 3 } },
  { name: "JetStream direct", source: { kind: "jetstream", lakeWriters: 1 } },
];

describe("UDP → lake → query API", () => {
  for (const { name, source } of paths) {
    it(`serves every accepted event exactly once, with its lineage (${name})`, {
      timeout: 420_000,
    }, async () => {
      const timeline = createTimeline(`udp-to-query ${source.kind}`);
      const pipeline = await startPipeline(source, timeline);
      const nc = await connect({ servers: pipeline.nats.url });
      let queryApi: Awaited<ReturnType<typeof startQueryApiProcess>> | undefined;
      try {
        const sent = await runSimulator({
          host: "127.0.0.1",
          port: pipeline.udpPort,
          format: "device-frame",
          count: EVENTS,
          ratePerSec: 4_000,
          devices: 20,
          seed: 7,
        });
        timeline.log(`feed done: ${JSON.stringify(sent)}`);
        // The accepted events: once the spool is empty, exactly what the stream holds.
        const accepted = await waitFor(
          async () => {
            const now = await observe(pipeline, nc);
            timeline.log(formatObservation(now));
            return now.spoolDepth === 0 && now.accepted !== undefined && now.streamMessages === now.accepted
              ? now.accepted
              : undefined;
          },
          { what: "the collector to publish every accepted event", timeoutMs: 120_000, intervalMs: 2_000 },
        );
        assert.ok(accepted >= 0.95 * sent.sent, `the collector accepted only ${accepted} of ${sent.sent}`);
        const streamIds = await readStreamEventIds(nc, pipeline.names.stream);
        assert.equal(streamIds.length, accepted);

        queryApi = await startQueryApiProcess({
          dir: dirname(pipeline.lake.catalogPath),
          lakeSettings: () => ({
            catalog: "sqlite",
            catalogPath: pipeline.lake.catalogPath,
            dataPath: pipeline.lake.dataPath,
          }),
        });
        const client = createClient(
          QueryService,
          createConnectTransport({ baseUrl: queryApi.url, httpVersion: "1.1" }),
        );
        await waitFor(
          async () => {
            const listed = await client.listTables({});
            const rows = listed.tables.find((t) => t.name === TELEMETRY_TABLE)?.rows ?? 0n;
            timeline.log(`query API: ${TELEMETRY_TABLE} holds ${rows} rows`);
            return rows >= BigInt(accepted) ? rows : undefined;
          },
          { what: "the query API to list every accepted event", timeoutMs: 180_000, intervalMs: 2_000 },
        );

        // Every event through Browse, page by page (a cursor pins its snapshot).
        const served = await browseAll(client);
        const counts = new Map<string, number>();
        for (const row of served) counts.set(row.eventId, (counts.get(row.eventId) ?? 0) + 1);
        const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
        const acceptedSet = new Set(streamIds);
        const missing = streamIds.filter((id) => !counts.has(id));
        const unexpected = [...counts.keys()].filter((id) => !acceptedSet.has(id));
        timeline.log(
          `served ${served.length} rows of ${counts.size} ids; accepted ${accepted}; missing ${missing.length}, unexpected ${unexpected.length}, served twice ${twice.length}`,
        );
        assert.deepEqual(missing.slice(0, 5), [], `${missing.length} accepted events are not served`);
        assert.deepEqual(
          unexpected.slice(0, 5),
          [],
          `${unexpected.length} served events were never accepted`,
        );
        assert.deepEqual(twice.slice(0, 5), [], `${twice.length} events served more than once`);
        assert.equal(served.length, accepted);

        // Lineage on every row: where the writer read it, each source position used once.
        const expectedSource =
          source.kind === "kafka" ? `kafka:${pipeline.names.topic}` : `jetstream:${pipeline.names.stream}`;
        const positions = new Set<string>();
        for (const row of served) {
          assert.equal(row.source, expectedSource, `source of ${row.eventId}`);
          assert.ok(row.partition !== "", `partition of ${row.eventId}`);
          assert.ok(row.position >= 0n, `position of ${row.eventId}`);
          positions.add(`${row.partition}/${row.position}`);
        }
        assert.equal(positions.size, served.length, "two rows claim one source position");
        if (source.kind === "kafka") {
          const partitions = new Set(served.map((r) => r.partition));
          assert.ok(
            [...partitions].every((p) => Number(p) >= 0 && Number(p) < source.partitions),
            `partitions ${[...partitions]}`,
          );
        }

        // GetEvent: the same lineage, plus the snapshot and the file that hold the event.
        const byId = new Map(served.map((r) => [r.eventId, r]));
        const step = Math.max(1, Math.floor(streamIds.length / LOOKUPS));
        for (let i = 0; i < streamIds.length; i += step) {
          const id = streamIds[i] ?? "";
          const found = await client.getEvent({ eventId: id });
          const lineage = found.lineage;
          const row = byId.get(id);
          assert.ok(lineage && row, `lineage of ${id}`);
          assert.equal(found.table, TELEMETRY_TABLE);
          assert.deepEqual(
            { source: lineage.source, partition: lineage.partition, position: lineage.position },
            { source: row.source, partition: row.partition, position: row.position },
            `GetEvent ${id} agrees with Browse`,
          );
          assert.ok(lineage.snapshotId > 0n, `snapshot of ${id}`);
          assert.match(lineage.file, /\.parquet$/, `file of ${id}`);
          assert.ok(lineage.receivedTime, `receive time of ${id}`);
          const idColumn = found.columns.findIndex((c) => c.name === "event_id");
          assert.equal(cell(found.row, idColumn), id);
        }
        timeline.log(`GetEvent agreed with Browse for ${Math.ceil(streamIds.length / step)} events`);
      } finally {
        await queryApi?.process.kill();
        await nc.close().catch(() => undefined);
        await pipeline.stop();
      }
    });
  }
});

/** One served row: the event id and its lineage columns. */
interface ServedRow {
  readonly eventId: string;
  readonly source: string;
  readonly partition: string;
  readonly position: bigint;
}

/** Every row of the telemetry table through Browse, 1,000 a page. */
async function browseAll(client: Client<typeof QueryService>): Promise<ServedRow[]> {
  const rows: ServedRow[] = [];
  let page = await client.browse({ filter: { table: TELEMETRY_TABLE }, pageSize: 1_000 });
  const index = (column: string) => {
    const i = page.columns.findIndex((c) => c.name === column);
    assert.ok(i >= 0, `Browse returns no ${column} column`);
    return i;
  };
  const [id, source, partition, position] = ["event_id", "_source", "_partition", "_position"].map(index);
  for (;;) {
    for (const row of page.rows) {
      rows.push({
        eventId: String(cell(row, id ?? -1)),
        source: String(cell(row, source ?? -1)),
        partition: String(cell(row, partition ?? -1)),
        position: BigInt(String(cell(row, position ?? -1))),
      });
    }
    if (page.nextCursor === "") return rows;
    page = await client.browse({ cursor: page.nextCursor });
  }
}

function cell(row: Row | undefined, i: number): JsonValue {
  const value = row?.cells[i];
  return value === undefined ? null : toJson(ValueSchema, value);
}
