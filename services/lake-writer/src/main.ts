import { configFileFromEnv, installShutdown } from "@langtian/service-kit";
import { createApp } from "./app.ts";
import { lakeWriterConfigSchema, loadLakeWriterConfig } from "./config.ts";

// Load config, install signal handlers, start writing, listen — nothing else (see app.ts).
const config = loadLakeWriterConfig(process.env, configFileFromEnv(lakeWriterConfigSchema, process.env));
const app = createApp(config);
const shutdown = installShutdown(app.service, { deadlineMs: config.shutdownDeadlineMs });
// A fatal ingest error ends the process (non-zero) so the service manager restarts it.
app.failed.catch(() => shutdown.shutdown("ingest loop failed"));
await app.start();
const address = await app.service.listen();
app.service.logger.info({ url: address.url }, "lake writer listening");
