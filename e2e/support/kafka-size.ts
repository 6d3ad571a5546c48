import { Consumer } from "@platformatic/kafka";

/** Sum of the topic's end offsets (records ever written; nothing is compacted or deleted here). */
export async function topicSize(bootstrap: string, topic: string): Promise<number> {
  const probe = new Consumer({
    groupId: `e2e-size-${topic}`,
    clientId: "langtian-e2e-probe",
    bootstrapBrokers: bootstrap.split(","),
    // One attempt: a probe during a broker restart should fail fast, not hold the progress loop.
    retries: 0,
    timeout: 3_000,
  });
  try {
    const offsets = await probe.listOffsets({ topics: [topic] });
    let total = 0;
    for (const offset of offsets.get(topic) ?? []) total += Number(offset);
    return total;
  } finally {
    await probe.close(true);
  }
}
