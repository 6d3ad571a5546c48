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
  installShutdown(app.service, { deadlineMs: config.shutdownDeadlineMs });
  await app.start();
  const address = await app.service.listen();
  app.service.logger.info({ url: address.url }, "bridge listening");
}
