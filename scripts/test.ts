import { ensureDependencies } from "./lib/dependencies.ts";
import { step } from "./lib/run.ts";
import { tasks, testSequence } from "./tasks/index.ts";

// `npm test`: installs and provisions everything it needs, then runs every check and test.
const started = performance.now();
await step("dependencies", ensureDependencies);
for (const name of testSequence) {
  const task = tasks[name];
  if (!task) throw new Error(`test sequence names unknown task ${name}`);
  await step(name, task);
}
process.stdout.write(`\nall checks passed in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
