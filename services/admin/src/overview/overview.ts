import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { type Overview, OverviewSchema } from "@langtian/proto";
import type { NatsConnection } from "@nats-io/transport-node";
import type { InstanceSpec } from "../deployment.ts";
import type { InstanceReader } from "./instances.ts";
import { readStream } from "./jetstream.ts";
import type { TopicReader } from "./kafka.ts";
import type { LakeReader } from "./lake.ts";

/** What an overview reads. */
export interface OverviewSources {
  readonly instances: readonly InstanceSpec[];
  readonly instanceReader: InstanceReader;
  readonly nats: () => NatsConnection | undefined;
  readonly streams: readonly string[];
  readonly topicReader: TopicReader;
  readonly topics: readonly string[];
  readonly lake: LakeReader;
  /** Bound of each part's read, in ms. */
  readonly timeoutMs: number;
}

/**
 * Reads every part of the deployment at once: instances, streams and the lake in parallel,
 * then the topics beside the lake's stored positions. Each part bounds its own time and
 * reports its own error, so one unreachable part degrades only its entry.
 */
export async function readOverview(s: OverviewSources): Promise<Overview> {
  const [instances, streams, lake] = await Promise.all([
    Promise.all(s.instances.map((spec) => s.instanceReader.read(spec))),
    Promise.all(s.streams.map((name) => readStream(s.nats(), name, s.timeoutMs))),
    s.lake.read(),
  ]);
  const topics = await s.topicReader.read(s.topics, lake.positions);
  return create(OverviewSchema, { time: timestampNow(), instances, streams, topics, lake: lake.overview });
}
