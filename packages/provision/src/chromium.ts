import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { cacheRoot } from "./cache-root.mjs";
import { acquireLock, progress, withHeartbeat } from "./install-dir.ts";
import { ProvisionError } from "./provision-error.ts";
import { runTool } from "./run-tool.ts";
import { refuseInUnitTier } from "./test-tier.ts";

/** Environment variable naming the Chromium executable to use instead of looking for one. */
export const CHROMIUM_ENV = "LANGTIAN_CHROMIUM";

/** Where Debian's `chromium` package puts its executable. */
const DEBIAN_CHROMIUM = "/usr/bin/chromium";

/** Debian packages installed for the browser tests: the browser and fonts for readable screenshots. */
export const CHROMIUM_PACKAGES = ["chromium", "fonts-liberation"] as const;

/**
 * What {@link findOrInstallChromium} may look at and do: the real machine in
 * {@link provisionChromium}, fakes in unit tests (which must never install anything).
 */
export interface ChromiumHost {
  /** The environment (`LANGTIAN_CHROMIUM`, `PATH`). */
  readonly env: NodeJS.ProcessEnv;
  /** True when the process may install system packages (root on Linux). */
  readonly isRoot: boolean;
  /** True when `path` is an executable file. */
  isExecutable(path: string): boolean;
  /** Runs a command to completion with the given extra environment; rejects when it fails. */
  run(command: string, args: readonly string[], env?: Readonly<Record<string, string>>): Promise<void>;
  /** Prints a progress line. */
  progress(line: string): void;
}

/** The executable named `name` in the host's `PATH`, or undefined. */
function onPath(host: ChromiumHost, name: string): string | undefined {
  for (const dir of (host.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (host.isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** An installed Chromium: `chromium` on PATH, else Debian's `/usr/bin/chromium`. */
function installedChromium(host: ChromiumHost): string | undefined {
  return onPath(host, "chromium") ?? (host.isExecutable(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : undefined);
}

/**
 * The decision of {@link provisionChromium}, on any host: `LANGTIAN_CHROMIUM` when set (it must
 * be executable); else an installed `chromium` (PATH, then `/usr/bin/chromium`); else, as root
 * with `apt-get` available, `apt-get update` and an install of Debian's `chromium` and
 * `fonts-liberation`; else a {@link ProvisionError} saying how to install it. Never a browser
 * downloaded from elsewhere: the tests run the distribution's build, patched by its updates.
 */
export async function findOrInstallChromium(host: ChromiumHost): Promise<string> {
  const configured = host.env[CHROMIUM_ENV];
  if (configured !== undefined && configured !== "") {
    if (!host.isExecutable(configured)) {
      throw new ProvisionError(`${CHROMIUM_ENV}=${configured} is not an executable file`);
    }
    return configured;
  }
  const found = installedChromium(host);
  if (found !== undefined) return found;
  const aptGet = onPath(host, "apt-get");
  if (!host.isRoot || aptGet === undefined) {
    throw new ProvisionError(
      "Chromium is needed for the web UI's browser tests and is not installed. Install Debian's package " +
        `(as root: apt-get install -y ${CHROMIUM_PACKAGES.join(" ")}), or set ${CHROMIUM_ENV} to a Chromium ` +
        "or Chrome executable",
    );
  }
  host.progress("chromium: not installed; apt-get update");
  await host.run(aptGet, ["update"]);
  host.progress(`chromium: apt-get install ${CHROMIUM_PACKAGES.join(" ")} (a few minutes when cold)`);
  await host.run(aptGet, ["install", "-y", ...CHROMIUM_PACKAGES], {
    DEBIAN_FRONTEND: "noninteractive",
  });
  const installed = installedChromium(host);
  if (installed === undefined) {
    throw new ProvisionError(
      `apt-get installed ${CHROMIUM_PACKAGES.join(" ")} but no chromium executable appeared`,
    );
  }
  host.progress(`chromium: installed ${installed}`);
  return installed;
}

/** The real machine as a {@link ChromiumHost}. */
function systemHost(): ChromiumHost {
  return {
    env: process.env,
    isRoot: process.platform === "linux" && process.getuid?.() === 0,
    isExecutable: (path) => {
      try {
        accessSync(path, constants.X_OK);
        // accessSync accepts folders too.
        return statSync(path).isFile();
      } catch {
        return false;
      }
    },
    run: async (command, args, env) => {
      await withHeartbeat(`chromium (${[command, ...args].join(" ")})`, () =>
        runTool(command, args, { env: { ...process.env, ...env }, downloadsFrom: "Debian's mirrors" }),
      );
    },
    progress,
  };
}

let pending: Promise<string> | undefined;

/**
 * Returns the path of the Chromium executable the web UI's browser tests drive (see
 * {@link findOrInstallChromium}: `LANGTIAN_CHROMIUM`, an installed `chromium`, or Debian's
 * package installed with apt-get when running as root). Installs run under a cross-process lock
 * in the cache, so parallel callers do not fight over dpkg's lock.
 */
export function provisionChromium(): Promise<string> {
  refuseInUnitTier("provisioning Chromium");
  pending ??= provisionChromiumOnce().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function provisionChromiumOnce(): Promise<string> {
  const host = systemHost();
  // Nothing to install: no lock needed.
  if ((host.env[CHROMIUM_ENV] ?? "") !== "" || installedChromium(host) !== undefined) {
    return findOrInstallChromium(host);
  }
  mkdirSync(cacheRoot(), { recursive: true });
  const release = await acquireLock(join(cacheRoot(), "chromium.lock"), "chromium");
  try {
    return await findOrInstallChromium(host);
  } finally {
    await release();
  }
}
