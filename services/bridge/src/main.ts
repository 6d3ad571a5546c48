import { configFileFromEnv, installShutdown } from "@langtian/service-kit";
import { createApp } from "./app.ts";
import { bridgeConfigSchema, loadBridgeConfig } from "./config.ts";
import { runProvision } from "./provision-command.ts";

// `main.ts provision`: create/update the durable consumer and the topics, print what was done, exit.
// `main.ts` (no argument): load config, install signal handlers, start bridging, listen — nothing else.
const config = loadBridgeConfig(process.env, configFileFromEnv(bridgeConfigSchema, process.env));
if (process.argv[2] === "provision") {
  const report = await runProvision(config);
  process.stdout.write(`${JSON.stringify({ provisioned: report })}\n`);
} else if (process.argv[2] !== undefined) {
  process.stderr.write(`unknown command "${process.argv[2]}": use "provision" or no argument\n`);
  process.exitCode = 64;
} else {
  const app = createApp(config);
  const shutdown = installShutdown(app.service, { deadlineMs: config.shutdownDeadlineMs });
  // A fatal error (NATS unreachable or the consumer missing at start, the fetch loop ending by
  // itself) drains, then exits non-zero so the service manager restarts the bridge; a requested
  // stop exits 0. A NATS connection lost later is not fatal: the client reconnects forever.
  app.failed.catch((err: unknown) => shutdown.fail("bridging stopped", err));
  try {
    await app.start();
    const address = await app.service.listen();
    app.service.logger.info({ url: address.url }, "bridge listening");
  } catch (err) {
    await shutdown.startFailed(err);
  }
}
