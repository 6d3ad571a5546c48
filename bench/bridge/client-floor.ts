/**
 * Floors of the two clients the bridge must use, each alone on this box, doing only its part
 * of the bridge's work (prints JSON):
 *  - `natsConsumeAck`: nats.js binds the provisioned durable pull consumer (callback mode,
 *    the bridge's fetch settings) and acks every message of a backlog — no decoding, no Kafka.
 *  - `kafkaProduce`: `@platformatic/kafka` writes the bridge's records (280-byte value, key,
 *    the bridge's dozen headers built by its own mapping) through the bridge's own sink
 *    (idempotent, acks=all) in batches of 2,000, one request out — no NATS, no decoding;
 *    then the same records without headers (`kafkaProduceWithoutHeaders`).
 * The bridge pays both on one event loop, so its ceiling on one core is about
 * 1 / (1/natsConsumeAck + 1/kafkaProduce), less its own decoding and bookkeeping.
 *
 *   node bench/bridge/client-floor.ts [--events 250000]
 */
import { parseArgs } from "node:util";
import {
  createKafkaSink,
  loadBridgeConfig,
  type OutboundRecord,
  readEventForBridge,
  recordHeaders,
  recordKey,
  runProvision,
} from "@langtian/bridge";
import { publishEvents, testEnvelope } from "@langtian/bridge/testing";
import { startKafka, startNats, uniqueName } from "@langtian/testing";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

const { values: args } = parseArgs({ options: { events: { type: "string", default: "250000" } } });
const events = Number(args.events);

/** Rate and CPU of one timed section of this process. */
async function timed(run: () => Promise<number>): Promise<{ perSec: number; cpuMicrosPerEvent: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const n = await run();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    perSec: Math.round(n / (ms / 1000)),
    cpuMicrosPerEvent: Math.round((cpu.user + cpu.system) / n),
  };
}

const [nats, kafka] = await Promise.all([
  startNats(),
  startKafka({ jvmOptions: ["-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20"] }),
]);
try {
  const base = uniqueName("floor");
  const env = {
    LANGTIAN_BRIDGE_NATS_URL: nats.url,
    LANGTIAN_BRIDGE_NATS_STREAM: base,
    LANGTIAN_BRIDGE_NATS_STREAM_SUBJECTS: `floor.${base}.>`,
    LANGTIAN_BRIDGE_NATS_STREAM_MAX_BYTES: String(1024 ** 3),
    LANGTIAN_BRIDGE_KAFKA_BOOTSTRAP: kafka.bootstrap,
    LANGTIAN_BRIDGE_KAFKA_PARTITIONS: "3",
    LANGTIAN_BRIDGE_TOPICS_DEFAULT_TOPIC: `${base}.events`,
    LANGTIAN_BRIDGE_TOPICS_DEAD_LETTER_TOPIC: `${base}.dlq`,
  };
  const config = loadBridgeConfig(env);
  await runProvision(config);
  const nc = await connect({ servers: nats.url });
  const js = jetstream(nc);
  await publishEvents(js, {
    subject: `floor.${base}.telemetry`,
    count: events,
    payloadBytes: 100,
    window: 2000,
  });

  const natsConsumeAck = await timed(async () => {
    const consumer = await js.consumers.get(base, config.nats.durable);
    let seen = 0;
    const { promise, resolve } = Promise.withResolvers<void>();
    const messages = await consumer.consume({
      max_messages: config.nats.fetchBatch,
      expires: config.nats.fetchExpiresMs,
      callback: (m) => {
        m.ack();
        if (++seen === events) resolve();
      },
    });
    await promise;
    await nc.flush();
    messages.stop();
    return seen;
  });
  await nc.close();

  // The records the bridge would build for these events, built before the clock starts.
  const records: OutboundRecord[] = [];
  for (let i = 0; i < events; i++) {
    const data = testEnvelope({
      eventId: crypto.randomUUID(),
      partitionKey: `dev-${i % 16}`,
      payloadBytes: 100,
    });
    const decoded = readEventForBridge(data);
    if (!decoded.ok) throw new Error(decoded.detail);
    const headers = recordHeaders(decoded.envelope, {
      subject: `floor.${base}.telemetry`,
      streamSequence: i + 1,
      natsMsgId: decoded.envelope.eventId,
      traceparent: undefined,
      tracestate: undefined,
    });
    records.push({ topic: `${base}.events`, key: recordKey(decoded.envelope), value: data, headers });
  }
  const sink = createKafkaSink({
    bootstrap: [kafka.bootstrap],
    clientId: "floor",
    compression: "none",
    requestTimeoutMs: 30_000,
    retries: 3,
    retryDelayMs: 250,
  });
  // Warm the client (connections, producer id, JIT) as the raw tools warm up, outside the clock.
  for (let i = 0; i < 25; i++) await sink.send(records.slice(i * 2000, (i + 1) * 2000));
  const kafkaProduce = await timed(async () => {
    for (let i = 0; i < records.length; i += 2000) await sink.send(records.slice(i, i + 2000));
    return records.length;
  });
  // The same records without headers: what the dozen headers cost inside the client.
  const bare = records.map((r) => ({ ...r, headers: new Map<string, string>() }));
  const kafkaProduceWithoutHeaders = await timed(async () => {
    for (let i = 0; i < bare.length; i += 2000) await sink.send(bare.slice(i, i + 2000));
    return bare.length;
  });
  await sink.close();

  const oneLoop = 1 / (1 / natsConsumeAck.perSec + 1 / kafkaProduce.perSec);
  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: "bridge-client-floor",
        events,
        natsConsumeAck,
        kafkaProduce,
        kafkaProduceWithoutHeaders,
        bothOnOneEventLoopPerSec: Math.round(oneLoop),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await kafka.stop();
  await nats.stop();
}
