import { startNats } from "@langtian/testing";
import { createApp } from "./src/app.ts";
import { runSimulator } from "./src/simulator/device-simulator.ts";
import { isolatedConfig, metricValue, quietLog } from "./src/test-helpers.ts";

const s = await startNats();
const app = await createApp(isolatedConfig(s.url), { logDestination: quietLog });
await app.listenUdp();
const reg = app.service.metrics.registry;
const t = performance.now();
const rep = await runSimulator({
  host: "127.0.0.1",
  port: app.udp.get("device-frame")!.port,
  format: "device-frame",
  count: 20000,
  ratePerSec: Number(process.argv[2] ?? 5000),
  devices: 50,
});
console.log("sent", rep.sent, "in", performance.now() - t);
for (;;) {
  const pub = await metricValue(reg, "langtian_collector_published_total");
  const rec = await metricValue(reg, "langtian_collector_datagrams_received_total");
  if (pub >= rec) {
    console.log(
      "published",
      pub,
      "received",
      rec,
      "at",
      performance.now() - t,
      "spooled",
      await metricValue(reg, "langtian_collector_spooled_total"),
    );
    break;
  }
  await new Promise((r) => setTimeout(r, 20));
}
await app.close();
await s.stop();
