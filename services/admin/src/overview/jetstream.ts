import { create } from "@bufbuild/protobuf";
import { ConsumerOverviewSchema, type StreamOverview, StreamOverviewSchema } from "@langtian/proto";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/** A stream with its consumers; a stream that cannot be read gets `error`. */
export async function readStream(
  nc: NatsConnection | undefined,
  name: string,
  timeoutMs: number,
): Promise<StreamOverview> {
  if (nc === undefined) return create(StreamOverviewSchema, { name, error: "not connected to NATS" });
  try {
    const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
    const info = await jsm.streams.info(name);
    const consumers = [];
    for await (const c of jsm.consumers.list(name)) {
      consumers.push(
        create(ConsumerOverviewSchema, {
          name: c.name,
          pending: BigInt(c.num_pending),
          ackPending: BigInt(c.num_ack_pending),
          redelivered: BigInt(c.num_redelivered),
          waiting: BigInt(c.num_waiting),
        }),
      );
    }
    return create(StreamOverviewSchema, {
      name,
      messages: BigInt(info.state.messages),
      bytes: BigInt(info.state.bytes),
      firstSequence: BigInt(info.state.first_seq),
      lastSequence: BigInt(info.state.last_seq),
      maxMessages: BigInt(Math.max(0, info.config.max_msgs)),
      maxBytes: BigInt(Math.max(0, info.config.max_bytes)),
      consumers,
    });
  } catch (err) {
    return create(StreamOverviewSchema, { name, error: err instanceof Error ? err.message : String(err) });
  }
}
