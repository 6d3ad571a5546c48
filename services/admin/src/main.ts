import { configFileFromEnv, installShutdown } from "@langtian/service-kit";
import { createApp } from "./app.ts";
import { adminConfigSchema, loadAdminConfig } from "./config.ts";

// Load config, install signal handlers, connect, listen — nothing else (see app.ts).
const config = loadAdminConfig(process.env, configFileFromEnv(adminConfigSchema, process.env));
const app = createApp(config);
const shutdown = installShutdown(app.service, { deadlineMs: config.shutdownDeadlineMs });
try {
  await app.start();
  const address = await app.service.listen();
  app.service.logger.info({ url: address.url }, "admin listening");
} catch (err) {
  await shutdown.startFailed(err);
}
