import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Admin } from "@platformatic/kafka";
import { type KafkaCluster, startKafka } from "./kafka.ts";
import { canListen } from "./ports.ts";
import { consumeKafka, createTopic, produceKafka } from "./roundtrip.ts";
import { uniqueName } from "./temp.ts";

describe("startKafka with 3 brokers", () => {
  let kafka: KafkaCluster;
  before(async () => {
    kafka = await startKafka({ brokers: 3 });
  });
  after(async () => {
    await kafka.stop();
  });

  it("keeps an RF3 topic writable and readable with one broker stopped", async () => {
    const topic = uniqueName("rf3");
    await createTopic(kafka.bootstrap, topic, 3);
    await produceKafka(kafka.bootstrap, topic, 0, 20);

    const leader = await partitionLeader(kafka.bootstrap, topic);
    const index = kafka.brokers.findIndex((b) => b.nodeId === leader);
    assert.ok(index >= 0, `leader ${leader} is one of ours`);
    const stopped = kafka.brokers[index];
    await kafka.stopBroker(index);
    assert.equal(await canListen(stopped?.port ?? 0), true);

    // Bootstrap through the survivors only: the stopped broker's address refuses connections.
    const survivors = kafka.brokers
      .filter((b) => b.isRunning())
      .map((b) => b.address)
      .join(",");
    await produceKafka(survivors, topic, 20, 20);
    const received = await consumeKafka(survivors, topic, 40);
    assert.deepEqual(
      received,
      Array.from({ length: 40 }, (_, i) => `message ${i}`),
    );

    await kafka.startBroker(index);
    assert.equal(stopped?.isRunning(), true);
  });
});

async function partitionLeader(bootstrap: string, topic: string): Promise<number> {
  const admin = new Admin({ clientId: "langtian-testing", bootstrapBrokers: bootstrap.split(",") });
  try {
    const metadata = await admin.metadata({ topics: [topic] });
    const leader = metadata.topics.get(topic)?.partitions[0]?.leader;
    assert.ok(leader !== undefined, "topic has a leader");
    return leader;
  } finally {
    await admin.close();
  }
}
