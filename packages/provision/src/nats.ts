import { existsSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot } from "./cache-root.mjs";
import { goBinary } from "./go-binary.ts";
import { installDir, progress } from "./install-dir.ts";
import { ProvisionError } from "./provision-error.ts";
import { runTool } from "./run-tool.ts";
import { refuseInUnitTier } from "./test-tier.ts";

/** The nats-server release we build; bump deliberately, tests run against exactly this. */
export const natsServerModule = "github.com/nats-io/nats-server/v2";
export const natsServerVersion = "v2.15.2";
/** The `nats` CLI release benchmarks compare against (`nats bench`). */
export const natsCliModule = "github.com/nats-io/natscli/nats";
export const natsCliVersion = "v0.5.0";

const exe = process.platform === "win32" ? ".exe" : "";
const debianNatsServer = "/usr/bin/nats-server";

let serverPending: Promise<string> | undefined;
let cliPending: Promise<string> | undefined;

/**
 * Returns the path of a nats-server binary: built once from the Go module proxy into
 * `<cacheRoot()>/nats-server/<version>/`. When the Go build fails (no Go toolchain), falls
 * back to Debian's `nats-server` package (an older release; a warning says so).
 */
export function provisionNatsServer(): Promise<string> {
  refuseInUnitTier("provisioning nats-server");
  serverPending ??= provisionNatsServerOnce().catch((err: unknown) => {
    serverPending = undefined;
    throw err;
  });
  return serverPending;
}

/**
 * Returns the path of the `nats` CLI, built once from the Go module proxy into
 * `<cacheRoot()>/natscli/<version>/`. Only benchmarks need it, so `npm test` never calls it.
 */
export function provisionNatsCli(): Promise<string> {
  refuseInUnitTier("provisioning the nats CLI");
  cliPending ??= goInstall("natscli", natsCliModule, natsCliVersion, "nats").catch((err: unknown) => {
    cliPending = undefined;
    throw err;
  });
  return cliPending;
}

async function provisionNatsServerOnce(): Promise<string> {
  try {
    return await goInstall("nats-server", natsServerModule, natsServerVersion, "nats-server");
  } catch (err) {
    if (process.platform !== "linux") throw err;
    progress(`nats-server: Go build failed, falling back to the Debian package: ${message(err)}`);
    if (!existsSync(debianNatsServer)) {
      const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
      const install = () =>
        runTool("apt-get", ["install", "-y", "--no-install-recommends", "nats-server"], {
          env,
          downloadsFrom: "Debian's mirrors",
        });
      // A fresh machine has no package lists yet: update once, then try again.
      await install()
        .catch(async () => {
          await runTool("apt-get", ["update"], { env, downloadsFrom: "Debian's mirrors" });
          await install();
        })
        .catch((aptErr: unknown) => {
          // The Go build's reason comes first: it is what the machine should fix (e.g. install Go).
          throw new ProvisionError(
            `${message(err)}\n(Debian's nats-server package, the fallback, did not install either: ${message(aptErr)})`,
            { cause: err },
          );
        });
    }
    if (!existsSync(debianNatsServer)) {
      throw new ProvisionError(
        `${message(err)}\n(Debian's nats-server package installed no ${debianNatsServer})`,
        {
          cause: err,
        },
      );
    }
    progress(`nats-server: WARNING using ${debianNatsServer}, not ${natsServerVersion}`);
    return debianNatsServer;
  }
}

/** `go install module@version` with GOBIN pointing at a staging folder of the cache. */
async function goInstall(name: string, module: string, version: string, binary: string): Promise<string> {
  const dir = join(cacheRoot(), name, version);
  const bin = join(dir, `${binary}${exe}`);
  if (existsSync(bin)) return bin;
  await installDir({
    label: `${name} ${version}`,
    dir,
    build: async (staging) => {
      // -ldflags=-s -w: no symbol table or DWARF (a shorter link); -trimpath: no machine paths.
      await runTool(goBinary(), ["install", "-trimpath", "-ldflags=-s -w", `${module}@${version}`], {
        downloadsFrom: "the Go module proxy",
        env: {
          ...process.env,
          GOBIN: staging,
          // A module pinned by version has no go.mod of ours; never consult a vendor folder.
          GOFLAGS: "-mod=mod",
          CGO_ENABLED: "0",
        },
      });
      if (!existsSync(join(staging, `${binary}${exe}`))) {
        throw new ProvisionError(`go install ${module}@${version} produced no ${binary}${exe}`);
      }
    },
  });
  return bin;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
