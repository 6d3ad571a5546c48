import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startKafka, startNats } from "@langtian/testing";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { startJetStreamSource } from "../src/jetstream-source.ts";
import { createKafkaSink } from "../src/kafka-sink.ts";
import { createTopicRouter } from "../src/mapping.ts";
import { createBridgeMetrics } from "../src/metrics.ts";
import { createPipeline } from "../src/pipeline.ts";
import { provisionConsumer, provisionTopics } from "../src/provision.ts";
import { missingEvents, publishEvents, readTopic } from "../src/testing/harness.ts";

const N = Number(process.argv[2] ?? 100000);
const nats = await startNats();
const kafka = await startKafka();
try {
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  console.log(await provisionConsumer(jsm, { stream: "EV", durable: "bridge", filterSubjects: [], ackWaitMs: 30000, maxAckPending: 20000, ordered: false, pinnedTimeoutMs: 35000 }, { name: "EV", subjects: ["ev.>"], maxBytes: 1e9 }));
  console.log(await provisionTopics([kafka.bootstrap], { topics: ["events", "dlq"], partitions: 6, replicationFactor: 1, minInsyncReplicas: 1 }));
  const js = jetstream(nc);
  let t = performance.now();
  const pub = await publishEvents(js, { subject: "ev.x", count: N, window: 2000 });
  console.log("published", N, "in", performance.now() - t, "ms");
  const registry = new Registry();
  const metrics = createBridgeMetrics({
    counter: (o) => new Counter({ ...o, registers: [registry] }),
    gauge: (o) => new Gauge({ ...o, registers: [registry] }),
    histogram: (o) => new Histogram({ ...o, registers: [registry] }),
  });
  const sink = createKafkaSink({ bootstrap: [kafka.bootstrap], clientId: "b", compression: "none", requestTimeoutMs: 10000, retries: 3, retryDelayMs: 250 });
  const pipeline = createPipeline({ sink, router: createTopicRouter([], "events"), deadLetterTopic: "dlq", maxBatchRecords: 2000, maxBatchBytes: 800000, maxRecordBytes: 1e6, maxInFlight: 10000, poisonMaxDeliveries: 3, backoff: { initialMs: 250, maxMs: 10000, jitter: 0.2 }, workingIntervalMs: 10000, ordered: false, metrics, logger: console as never });
  const tally = await readTopic({ bootstrap: kafka.bootstrap, topic: "events" });
  t = performance.now();
  const source = await startJetStreamSource({ js, stream: "EV", durable: "bridge", fetchBatch: 2000, fetchExpiresMs: 5000, pipeline });
  await tally.until((x) => x.counts.size >= N, 300000);
  console.log("bridged", N, "in", performance.now() - t, "ms; dups", tally.duplicates(), "missing", missingEvents(pub.eventIds, tally).length);
  const drained = pipeline.drain();
  await source.stop();
  await drained;
  pipeline.close();
  await nc.flush();
  const info = await jsm.consumers.info("EV", "bridge");
  console.log("ack pending", info.num_ack_pending, "pending", info.num_pending, "redelivered", info.num_redelivered);
  console.log((await registry.getMetricsAsJSON()).filter(m=>m.name.endsWith("_total")).map(m=>[m.name, m.values.map(v=>v.value)]));
  await tally.close();
  await sink.close();
  await nc.close();
} finally {
  await kafka.stop();
  await nats.stop();
}
