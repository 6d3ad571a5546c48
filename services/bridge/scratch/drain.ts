import { Writable } from "node:stream";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { startKafka, startNats } from "@langtian/testing";
import { createApp } from "../src/app.ts";
import { loadBridgeConfig } from "../src/config.ts";
import { runProvision } from "../src/provision-command.ts";
import { publishEvents, readTopic } from "../src/testing/harness.ts";
import { testBridgeEnv, testNames } from "../src/testing/test-env.ts";

const nats = await startNats();
const kafka = await startKafka();
const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });
try {
  const nc = await connect({ servers: nats.url });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const names = testNames("drain");
  const config = loadBridgeConfig(testBridgeEnv({ natsUrl: nats.url, kafkaBootstrap: kafka.bootstrap }, names, { LANGTIAN_BRIDGE_NATS_ACK_WAIT_MS: "600000" }));
  await runProvision(config);
  const tally = await readTopic({ bootstrap: kafka.bootstrap, topic: names.topic });
  const first = createApp(config, { logDestination: quiet() });
  await first.start();
  const publishing = publishEvents(js, { subject: `${names.subjectPrefix}.x`, count: 10000, window: 500 });
  await new Promise((r) => setTimeout(r, 1500));
  const res = await first.service.drain();
  await first.service.close();
  const m = await first.service.metrics.registry.getMetricsAsJSON();
  console.log("drain", res, m.filter((x) => /consumed|acked|naked/.test(x.name)).map((x) => [x.name, JSON.stringify(x.values.map((v) => [v.labels.reason, v.value]))]));
  let i = await jsm.consumers.info(names.stream, names.durable);
  console.log("after drain", { pending: i.num_pending, ackPending: i.num_ack_pending, redelivered: i.num_redelivered, waiting: i.num_waiting, delivered: i.delivered, ackFloor: i.ack_floor });
  const pub = await publishing;
  console.log("published", pub.eventIds.length);
  const second = createApp(config, { logDestination: quiet() });
  await second.start();
  await new Promise((r) => setTimeout(r, 8000));
  i = await jsm.consumers.info(names.stream, names.durable);
  console.log("after second", { pending: i.num_pending, ackPending: i.num_ack_pending, redelivered: i.num_redelivered, waiting: i.num_waiting, delivered: i.delivered, ackFloor: i.ack_floor }, "tally", tally.counts.size);
  await second.stop();
  await tally.close();
  await nc.close();
} finally {
  await kafka.stop();
  await nats.stop();
}
