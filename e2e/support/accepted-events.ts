import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/** The header the collector sets to the event id (JetStream drops a repeat within its window). */
const MSG_ID = "Nats-Msg-Id";

/**
 * Every event id the stream holds, in stream order (read with an ordered consumer). The
 * collector publishes each accepted event with `Nats-Msg-Id` = event id, so after its spool
 * is empty this is exactly the set of accepted events.
 */
export async function readStreamEventIds(nc: NatsConnection, stream: string): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const total = (await jsm.streams.info(stream)).state.messages;
  const ids: string[] = [];
  if (total === 0) return ids;
  const consumer = await jetstream(nc).consumers.get(stream);
  const messages = await consumer.consume({ max_messages: 5_000 });
  for await (const message of messages) {
    ids.push(message.headers?.get(MSG_ID) ?? `(no ${MSG_ID} at seq ${message.seq})`);
    if (message.info.pending === 0) break;
  }
  await messages.close();
  return ids;
}
