import { startKafka, startNats } from "@langtian/testing";
const t0 = Date.now();
const nats = await startNats();
console.log("nats", nats.url, Date.now() - t0);
const kafka = await startKafka();
console.log("kafka", kafka.bootstrap, Date.now() - t0);
await kafka.stop();
await nats.stop();
console.log("stopped", Date.now() - t0);
