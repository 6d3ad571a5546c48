import { configFileFromEnv, installShutdown, loadConfig, ShutdownExitCode } from "@langtian/service-kit";
import { createApp } from "./app.ts";
import { configSchema } from "./config.ts";

// Load config, install signal handlers, listen — nothing else (see app.ts).
const config = loadConfig(configSchema, process.env, configFileFromEnv(configSchema, process.env));
const app = await createApp(config).catch((err: unknown) => {
  // E.g. NATS reachable but the stream cannot be provisioned. Nothing is running yet (createApp
  // closed what it opened): report and exit non-zero.
  process.stderr.write(`collector cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(ShutdownExitCode.failed);
});
const shutdown = installShutdown(app.service, { deadlineMs: config.shutdownDeadlineMs });
try {
  const address = await app.listen();
  app.service.logger.info(
    { url: address.url, udp: [...app.udp.entries()].map(([n, s]) => `${n}:${s.port}`) },
    "collector listening",
  );
} catch (err) {
  // A port that cannot be bound (UDP or HTTP): drain what was set up (the spool), exit non-zero.
  // NATS being away is not fatal: the collector spools and keeps dialling (see app.ts).
  await shutdown.fail("cannot listen", err);
}
