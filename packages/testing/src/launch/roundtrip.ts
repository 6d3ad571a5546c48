import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  Admin,
  Consumer,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
} from "@platformatic/kafka";

/**
 * Round trips through real servers, shared by the launcher tests and the stack's smoke
 * check: they prove a server does its job, not just that its port is open.
 */

/** Options for {@link jetStreamRoundTrip}. */
export interface JetStreamRoundTripOptions {
  servers: string | string[];
  stream: string;
  /** Messages to publish and then consume. */
  count: number;
  /** Stream replicas (3 on a cluster). */
  replicas?: number;
}

/**
 * Creates a file stream and a durable pull consumer (explicit acks), publishes `count`
 * messages, fetches and acks them all; returns the payloads in order of delivery.
 */
export async function jetStreamRoundTrip(options: JetStreamRoundTripOptions): Promise<string[]> {
  const nc = await connect({ servers: options.servers, timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: options.stream,
      subjects: [`${options.stream}.>`],
      num_replicas: options.replicas ?? 1,
    });
    await jsm.consumers.add(options.stream, { durable_name: "reader", ack_policy: AckPolicy.Explicit });
    await publishJetStream(nc, options.stream, 0, options.count);
    return await consumeJetStream(nc, options.stream, options.count);
  } finally {
    await nc.close();
  }
}

/** Publishes messages `from`..`from + count - 1` to `<stream>.events` and waits for each PubAck. */
export async function publishJetStream(
  nc: NatsConnection,
  stream: string,
  from: number,
  count: number,
): Promise<void> {
  const js = jetstream(nc);
  const acks = [];
  for (let i = from; i < from + count; i++) acks.push(js.publish(`${stream}.events`, `message ${i}`));
  await Promise.all(acks);
}

/** Fetches `count` messages from the durable consumer "reader" and acks each (awaiting the ack's confirmation). */
export async function consumeJetStream(nc: NatsConnection, stream: string, count: number): Promise<string[]> {
  const consumer = await jetstream(nc).consumers.get(stream, "reader");
  const received: string[] = [];
  while (received.length < count) {
    const batch = await consumer.fetch({ max_messages: count - received.length, expires: 5_000 });
    for await (const msg of batch) {
      received.push(msg.string());
      await msg.ackAck();
    }
  }
  return received;
}

/** Options for {@link kafkaRoundTrip}. */
export interface KafkaRoundTripOptions {
  bootstrap: string;
  topic: string;
  count: number;
  /** Topic replication factor (3 on a 3-broker cluster). */
  replicas?: number;
}

/** Creates a topic, produces `count` messages (acks=all), consumes them in a group; returns the values. */
export async function kafkaRoundTrip(options: KafkaRoundTripOptions): Promise<string[]> {
  await createTopic(options.bootstrap, options.topic, options.replicas ?? 1);
  await produceKafka(options.bootstrap, options.topic, 0, options.count);
  return consumeKafka(options.bootstrap, options.topic, options.count);
}

/** Creates a one-partition topic with `replicas` replicas. */
export async function createTopic(bootstrap: string, topic: string, replicas: number): Promise<void> {
  const admin = new Admin({ clientId: "langtian-testing", bootstrapBrokers: bootstrap.split(",") });
  try {
    await admin.createTopics({ topics: [topic], partitions: 1, replicas });
  } finally {
    await admin.close();
  }
}

/** Produces messages `from`..`from + count - 1` with acks=all, so every in-sync replica has them. */
export async function produceKafka(
  bootstrap: string,
  topic: string,
  from: number,
  count: number,
): Promise<void> {
  const producer = new Producer({
    clientId: "langtian-testing",
    bootstrapBrokers: bootstrap.split(","),
    serializers: stringSerializers,
  });
  try {
    const messages = [];
    for (let i = from; i < from + count; i++) messages.push({ topic, key: `k${i}`, value: `message ${i}` });
    await producer.send({ messages, acks: ProduceAcks.ALL });
  } finally {
    await producer.close();
  }
}

/** Reads `count` messages from the start of `topic` in a fresh consumer group. */
export async function consumeKafka(bootstrap: string, topic: string, count: number): Promise<string[]> {
  const consumer = new Consumer({
    groupId: `${topic}-reader`,
    clientId: "langtian-testing",
    bootstrapBrokers: bootstrap.split(","),
    deserializers: stringDeserializers,
    maxWaitTime: 500,
  });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
    const received: string[] = [];
    try {
      for await (const message of stream) {
        received.push(message.value);
        if (received.length >= count) break;
      }
    } finally {
      await stream.close();
    }
    return received;
  } finally {
    await consumer.close();
  }
}
