import { ensureDependencies } from "./lib/dependencies.ts";
import { runScript, step } from "./lib/run.ts";
import { tasks } from "./tasks/index.ts";

// Runs one named task: `node scripts/node24.mjs scripts/task.ts <name>`.
const name = process.argv[2] ?? "";
const task = tasks[name];
if (!task) {
  process.stderr.write(`unknown task "${name}"; known: ${Object.keys(tasks).join(", ")}\n`);
  process.exit(2);
}
await runScript(async () => {
  await step("dependencies", ensureDependencies);
  await step(name, task);
});
