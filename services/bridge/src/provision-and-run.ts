import { configFileFromEnv } from "@langtian/service-kit";
import { bridgeConfigSchema, loadBridgeConfig } from "./config.ts";
import { runProvision } from "./provision-command.ts";

// For one-command dev stacks (`npm run stack`): the explicit provision step, then one instance
// (main.ts). Production runs `main.ts provision` once as its own step and `main.ts` per instance.
const config = loadBridgeConfig(process.env, configFileFromEnv(bridgeConfigSchema, process.env));
process.stdout.write(`${JSON.stringify({ provisioned: await runProvision(config) })}\n`);
await import("./main.ts");
