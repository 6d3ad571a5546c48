import { startKafka } from "@langtian/testing";
import { createKafkaSink } from "../src/kafka-sink.ts";
import { provisionTopics } from "../src/provision.ts";
const kafka = await startKafka();
try {
  await provisionTopics([kafka.bootstrap], { topics: ["t"], partitions: 3, replicationFactor: 1, minInsyncReplicas: 1 });
  const sink = createKafkaSink({ bootstrap: [kafka.bootstrap], clientId: "x", compression: "none", requestTimeoutMs: 2000, retries: 1, retryDelayMs: 250 });
  const rec = { topic: "t", key: "k", value: new Uint8Array(10), headers: new Map([["a", "b"]]) };
  await sink.send([rec]);
  console.log("sent ok");
  await kafka.stopBroker(0);
  console.log("broker stopped");
  for (let i = 0; i < 3; i++) {
    const t = Date.now();
    try { await Promise.race([sink.send([rec]), new Promise((_, rej) => setTimeout(() => rej(new Error("hung 20s")), 20000))]); console.log("sent?!"); }
    catch (err) { console.log("error after", Date.now() - t, (err as Error).message, (err as {code?:string}).code); }
  }
  await kafka.startBroker(0);
  const t = Date.now();
  for (;;) { try { await sink.send([rec]); break; } catch (e) { console.log("retry", (e as Error).message); await new Promise(r=>setTimeout(r,500)); } }
  console.log("recovered after", Date.now() - t);
  await sink.close();
} finally { await kafka.stop(); }
