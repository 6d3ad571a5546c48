import { ensureDependencies } from "./lib/dependencies.ts";
import { runScript, step } from "./lib/run.ts";
import { tasks, testSequence } from "./tasks/index.ts";
import { commandNeeds, startProvisioning } from "./tasks/provision.ts";

// `npm test`: installs and provisions everything it needs, then runs every check and test.
await runScript(async () => {
  const started = performance.now();
  // First, before the npm install: provisioning needs only Node's built-ins, and its downloads
  // and builds (the SeaweedFS build takes minutes when cold) go on in the background while the
  // install, the static checks and most tests run. Each step waits only for the tools it needs.
  const provisioning = startProvisioning(commandNeeds.test);
  await step("dependencies", ensureDependencies);
  for (const name of testSequence) {
    const task =
      name === "test:node"
        ? async () => (await import("./tasks/node-tests.ts")).nodeTests(provisioning)
        : tasks[name];
    if (!task) throw new Error(`test sequence names unknown task ${name}`);
    await step(name, task);
  }
  process.stdout.write(`\n${provisioning.summary()}\n`);
  process.stdout.write(`all checks passed in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
});
