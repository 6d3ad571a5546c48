/**
 * A minimal service in the house shape, started by `shutdown-process.test.ts` to check the
 * real signal path end to end. Logs JSON lines on stdout.
 */
import { loadConfig } from "../config.ts";
import { defineConfigSchema } from "../config-schema.ts";
import { DrainOrder } from "../lifecycle.ts";
import { createServiceApp } from "../service-app.ts";
import { serviceFields } from "../service-config.ts";
import { installShutdown } from "../shutdown.ts";

const schema = defineConfigSchema("tiny", serviceFields({ port: 0 }));
const config = loadConfig(schema, process.env);
const app = createServiceApp({ schema, config, version: "0.0.1" });
app.lifecycle.onDrain({
  name: "flush",
  order: DrainOrder.flush,
  run: async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    app.logger.info("flushed");
  },
});
installShutdown(app, { deadlineMs: config.shutdownDeadlineMs });
await app.listen();
