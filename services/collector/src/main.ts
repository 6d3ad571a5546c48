import { configFileFromEnv, installShutdown, loadConfig } from "@langtian/service-kit";
import { createApp } from "./app.ts";
import { configSchema } from "./config.ts";

// Load config, install signal handlers, listen — nothing else (see app.ts).
const config = loadConfig(configSchema, process.env, configFileFromEnv(configSchema, process.env));
const app = await createApp(config);
installShutdown(app.service, { deadlineMs: config.shutdownDeadlineMs });
const address = await app.listen();
app.service.logger.info(
  { url: address.url, udp: [...app.udp.entries()].map(([n, s]) => `${n}:${s.port}`) },
  "collector listening",
);
