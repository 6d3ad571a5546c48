import { configFileFromEnv, installShutdown } from "@langtian/service-kit";
import { createApp } from "./app.ts";
import { loadQueryApiConfig, queryApiConfigSchema } from "./config.ts";

// Load config, install signal handlers, open the lake, listen — nothing else (see app.ts).
const config = loadQueryApiConfig(process.env, configFileFromEnv(queryApiConfigSchema, process.env));
const app = createApp(config);
const shutdown = installShutdown(app.service, { deadlineMs: config.shutdownDeadlineMs });
try {
  await app.start();
  const address = await app.service.listen();
  app.service.logger.info({ url: address.url }, "query API listening");
} catch (err) {
  await shutdown.startFailed(err);
}
