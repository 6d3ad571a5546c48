import { configFileFromEnv, installShutdown } from "@langtian/service-kit";
import { createApp } from "./app.ts";
import { lakeWriterConfigSchema, loadLakeWriterConfig } from "./config.ts";

// Load config, install signal handlers, start writing, listen — nothing else (see app.ts).
const config = loadLakeWriterConfig(process.env, configFileFromEnv(lakeWriterConfigSchema, process.env));
const app = createApp(config);
const shutdown = installShutdown(app.service, { deadlineMs: config.shutdownDeadlineMs });
// A fatal error drains, then exits non-zero (ShutdownExitCode.failed) so the service manager
// restarts the writer; a requested stop (signal, Drain RPC) exits 0.
app.failed.catch((err: unknown) => shutdown.fail("ingest loop failed", err));
try {
  await app.start();
  const address = await app.service.listen();
  app.service.logger.info({ url: address.url }, "lake writer listening");
} catch (err) {
  await shutdown.startFailed(err);
}
