import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type InstanceOverview,
  InstanceOverviewSchema,
  type Overview,
  OverviewSchema,
  Phase,
} from "@langtian/proto";

/** A running, ready instance of `stage` (override any field). */
export function fakeInstance(
  name: string,
  stage: string,
  init: MessageInitShape<typeof InstanceOverviewSchema> = {},
): InstanceOverview {
  return create(InstanceOverviewSchema, {
    name,
    stage,
    endpoint: `http://127.0.0.1:9${name.length}00`,
    live: true,
    ready: true,
    version: "0.1.0",
    phase: Phase.RUNNING,
    startedAt: timestampFromMs(Date.now() - 3_600_000),
    dependencies: [{ name: "nats", healthy: true, detail: "connected" }],
    ...init,
  } as MessageInitShape<typeof InstanceOverviewSchema>);
}

/**
 * A whole deployment as the admin reports it: a collector, two bridges, a lake writer, a query
 * API, one stream, one topic whose two partitions are 30 records ahead of the lake, and a lake.
 */
export function fakeOverview(init: MessageInitShape<typeof OverviewSchema> = {}): Overview {
  const now = Date.now();
  return create(OverviewSchema, {
    time: timestampFromMs(now),
    instances: [
      fakeInstance("collector-1", "collector", { rates: { events_decoded: 120, datagrams_received: 121 } }),
      fakeInstance("bridge-1", "bridge", { rates: { produced: 60 } }),
      fakeInstance("bridge-2", "bridge", { rates: { produced: 60 } }),
      fakeInstance("lake-writer-1", "lake-writer", { rates: { rows_written: 118 } }),
      fakeInstance("query-api-1", "query-api"),
    ],
    streams: [
      { name: "EDA_EVENTS", messages: 5000n, consumers: [{ name: "bridge", pending: 4n, ackPending: 2n }] },
    ],
    topics: [
      {
        name: "eda.events",
        partitions: [
          { partition: 0, endOffset: 2500n, lakePosition: 2480n, lakeLag: 20n },
          { partition: 1, endOffset: 2500n, lakePosition: 2490n, lakeLag: 10n },
        ],
      },
    ],
    lake: {
      tables: [{ name: "events", rows: 4970n, files: 12n, bytes: 400_000n }],
      snapshotId: 42n,
      lastCommitTime: timestampFromMs(now - 2000),
    },
    ...init,
  } as MessageInitShape<typeof OverviewSchema>);
}
