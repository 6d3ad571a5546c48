import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type ChromiumHost, findOrInstallChromium, provisionChromium } from "./chromium.ts";
import { ProvisionError } from "./provision-error.ts";
import { testTierEnv } from "./test-tier.ts";

/** A fake machine: which files are executables, who we are, and what was run. */
function fakeHost(options: {
  env?: NodeJS.ProcessEnv;
  isRoot?: boolean;
  executables?: string[];
  /** Executables that exist once apt-get install ran. */
  installs?: string[];
}) {
  const executables = new Set(options.executables ?? []);
  const runs: string[] = [];
  const host: ChromiumHost = {
    env: options.env ?? { PATH: "/usr/local/bin:/usr/bin" },
    isRoot: options.isRoot ?? false,
    isExecutable: (path) => executables.has(path),
    run: async (command, args, env) => {
      runs.push([...Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`), command, ...args].join(" "));
      if (args[0] === "install") for (const path of options.installs ?? []) executables.add(path);
    },
    progress: () => undefined,
  };
  return { host, runs };
}

describe("findOrInstallChromium", () => {
  it("takes LANGTIAN_CHROMIUM first, and refuses one that is not executable", async () => {
    const { host, runs } = fakeHost({
      env: { LANGTIAN_CHROMIUM: "/opt/chrome/chrome", PATH: "/usr/bin" },
      executables: ["/opt/chrome/chrome", "/usr/bin/chromium"],
    });
    assert.equal(await findOrInstallChromium(host), "/opt/chrome/chrome");
    assert.deepEqual(runs, []);
    const missing = fakeHost({ env: { LANGTIAN_CHROMIUM: "/nope" }, isRoot: true });
    await assert.rejects(
      findOrInstallChromium(missing.host),
      /LANGTIAN_CHROMIUM=\/nope is not an executable/,
    );
    assert.deepEqual(missing.runs, [], "never installs in place of a configured browser");
  });

  it("uses chromium on PATH, else Debian's /usr/bin/chromium, without installing", async () => {
    const onPath = fakeHost({ executables: ["/usr/local/bin/chromium", "/usr/bin/chromium"], isRoot: true });
    assert.equal(await findOrInstallChromium(onPath.host), "/usr/local/bin/chromium");
    const debian = fakeHost({ env: { PATH: "/bin" }, executables: ["/usr/bin/chromium"], isRoot: true });
    assert.equal(await findOrInstallChromium(debian.host), "/usr/bin/chromium");
    assert.deepEqual([...onPath.runs, ...debian.runs], []);
  });

  it("installs Debian's chromium and fonts with apt-get when root, updating the index first", async () => {
    const { host, runs } = fakeHost({
      isRoot: true,
      executables: ["/usr/bin/apt-get"],
      installs: ["/usr/bin/chromium"],
    });
    assert.equal(await findOrInstallChromium(host), "/usr/bin/chromium");
    assert.deepEqual(runs, [
      "/usr/bin/apt-get update",
      "DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get install -y chromium fonts-liberation",
    ]);
  });

  it("fails when the install leaves no chromium behind", async () => {
    const { host } = fakeHost({ isRoot: true, executables: ["/usr/bin/apt-get"] });
    await assert.rejects(findOrInstallChromium(host), /no chromium executable appeared/);
  });

  it("says how to install it when it cannot (not root, or no apt-get)", async () => {
    for (const options of [{ isRoot: false, executables: ["/usr/bin/apt-get"] }, { isRoot: true }]) {
      const { host, runs } = fakeHost(options);
      await assert.rejects(
        findOrInstallChromium(host),
        (err: unknown) =>
          err instanceof ProvisionError &&
          err.message.includes("apt-get install -y chromium fonts-liberation") &&
          err.message.includes("LANGTIAN_CHROMIUM"),
      );
      assert.deepEqual(runs, []);
    }
  });
});

describe("provisionChromium in the unit tier", () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env[testTierEnv];
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[testTierEnv];
    else process.env[testTierEnv] = saved;
  });

  it("refuses before looking at the machine", () => {
    process.env[testTierEnv] = "unit";
    assert.throws(() => provisionChromium(), /provisioning Chromium is not allowed in the unit test tier/);
  });
});
