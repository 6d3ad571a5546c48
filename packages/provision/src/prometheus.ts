import { existsSync, readdirSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { cacheRoot } from "./cache-root.mjs";
import { installDir } from "./install-dir.ts";
import { ProvisionError } from "./provision-error.ts";
import { runTool } from "./run-tool.ts";
import { refuseInUnitTier } from "./test-tier.ts";

/** Debian's package that carries both `prometheus` and `promtool`. */
export const PROMETHEUS_PACKAGE = "prometheus";

/** A provisioned Prometheus: the server and its `promtool`, from Debian's package. */
export interface PrometheusInstall {
  /** Debian version of the package, e.g. `2.42.0+ds-5+deb12u1`. */
  readonly version: string;
  /** The `prometheus` server executable. */
  readonly prometheus: string;
  /** The `promtool` executable (`check rules`, `test rules`, `check metrics`). */
  readonly promtool: string;
}

let pending: Promise<PrometheusInstall> | undefined;

/**
 * Returns Debian's Prometheus and promtool, unpacked once into
 * `<cacheRoot()>/prometheus/<debian version>`: `apt-get download prometheus` fetches the
 * distribution's .deb (the candidate of the machine's apt sources) and `dpkg-deb -x` unpacks
 * it, so nothing is installed system-wide and no root is needed. The binaries are static Go
 * programs; the package's dependencies (web UI assets) are not needed by the HTTP API or
 * promtool. Needs `apt-get` with package lists (`apt-get update` once, as root).
 */
export function provisionPrometheus(): Promise<PrometheusInstall> {
  refuseInUnitTier("provisioning Prometheus");
  pending ??= provisionOnce().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function provisionOnce(): Promise<PrometheusInstall> {
  const root = join(cacheRoot(), "prometheus");
  const version = (await candidateVersion()) ?? cachedVersion(root);
  if (version === undefined) {
    throw new ProvisionError(
      `Prometheus (promtool) is needed for the alert-rule and metrics tests: Debian's ${PROMETHEUS_PACKAGE} ` +
        "package has no install candidate here. Run `apt-get update` as root (the package lists may be " +
        `missing), or unpack a ${PROMETHEUS_PACKAGE} .deb with \`dpkg-deb -x\` into ${root}/<version>`,
    );
  }
  const dir = join(root, folderName(version));
  await installDir({
    label: `prometheus ${version}`,
    dir,
    build: async (staging) => {
      // apt-get download writes into its working folder; unpack, then drop the .deb.
      await runTool("apt-get", ["download", `${PROMETHEUS_PACKAGE}=${version}`], { cwd: staging });
      const deb = (await readdir(staging)).find((f) => f.endsWith(".deb"));
      if (deb === undefined) throw new ProvisionError(`apt-get download ${PROMETHEUS_PACKAGE} wrote no .deb`);
      await runTool("dpkg-deb", ["-x", join(staging, deb), join(staging, "root")]);
      await rm(join(staging, deb));
    },
  });
  const bin = join(dir, "root", "usr", "bin");
  const install = { version, prometheus: join(bin, "prometheus"), promtool: join(bin, "promtool") };
  for (const path of [install.prometheus, install.promtool]) {
    if (!existsSync(path)) throw new ProvisionError(`${path} is missing: remove ${dir} and provision again`);
  }
  return install;
}

/** The package's install candidate (`apt-cache policy`), or undefined without apt or a candidate. */
async function candidateVersion(): Promise<string | undefined> {
  const policy = await runTool("apt-cache", ["policy", PROMETHEUS_PACKAGE]).catch(() => "");
  const candidate = /Candidate:\s*(\S+)/.exec(policy)?.[1];
  return candidate === undefined || candidate === "(none)" ? undefined : candidate;
}

/** A complete earlier install (newest name first), so a machine without apt lists still runs. */
function cachedVersion(root: string): string | undefined {
  if (!existsSync(root)) return undefined;
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.includes(".tmp-") && existsSync(join(root, e.name, "root")))
    .map((e) => e.name)
    .sort()
    .reverse()[0];
}

/** A folder name for a Debian version (`:` of an epoch is not portable). */
function folderName(version: string): string {
  return version.replaceAll(/[^A-Za-z0-9.+~-]/g, "_");
}
