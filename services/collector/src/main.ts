import { configFileFromEnv, installShutdown } from "@langtian/service-kit";
import { createApp } from "./app.ts";
import { collectorConfigSchema, loadCollectorConfig } from "./config.ts";

// Load config, install signal handlers, start collecting, listen — nothing else (see app.ts).
const config = loadCollectorConfig(process.env, configFileFromEnv(collectorConfigSchema, process.env));
const app = createApp(config);
const shutdown = installShutdown(app.service, { deadlineMs: config.shutdownDeadlineMs });
try {
  // NATS being away is not fatal: the collector spools and keeps dialling (see app.ts). A stream
  // that cannot be provisioned while NATS answers, or a port that cannot be bound (UDP or HTTP),
  // is: drain what was set up (the spool), exit non-zero.
  await app.start();
  const address = await app.service.listen();
  app.service.logger.info(
    { url: address.url, udp: [...app.udp.entries()].map(([n, s]) => `${n}:${s.port}`) },
    "collector listening",
  );
} catch (err) {
  await shutdown.startFailed(err);
}
