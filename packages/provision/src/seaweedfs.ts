import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { cacheRoot } from "./cache-root.mjs";
import { goBinary } from "./go-binary.ts";
import { installDir } from "./install-dir.ts";
import { ProvisionError } from "./provision-error.ts";
import { runTool } from "./run-tool.ts";
import { refuseInUnitTier } from "./test-tier.ts";

const execFileAsync = promisify(execFile);

/** SeaweedFS, the S3-compatible store the S3 tests run against (Apache-2.0, Windows builds). */
export const SEAWEEDFS_MODULE = "github.com/seaweedfs/seaweedfs";
/** Pinned module version (a pseudo-version of the upstream repository). */
export const SEAWEEDFS_VERSION = "v0.0.0-20261109003541-7506e5f91cd6";

const exe = process.platform === "win32" ? ".exe" : "";

/**
 * Builds the SeaweedFS `weed` binary from the Go module proxy into
 * `<cacheRoot>/seaweedfs/<version>/` once (lock + atomic rename) and returns its path.
 * `go install module@version` refuses this module (its go.mod has `replace` directives),
 * so the module is downloaded and built from its own folder, where they apply. The first
 * build is long (tens of minutes on two cores); afterwards it is instant.
 */
export async function provisionSeaweedfs(): Promise<string> {
  refuseInUnitTier("provisioning SeaweedFS");
  const dir = join(cacheRoot(), "seaweedfs", SEAWEEDFS_VERSION);
  await installDir({
    label: `seaweedfs ${SEAWEEDFS_VERSION}`,
    dir,
    // A concurrent run waits for the whole cold build rather than giving up half way.
    lockWaitMs: 3 * 3600_000,
    build: async (staging) => {
      const go = goBinary();
      // stdout alone is the JSON answer (go prints its progress on stderr), so not runTool.
      const { stdout } = await execFileAsync(
        go,
        ["mod", "download", "-json", `${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION}`],
        { maxBuffer: 16 * 1024 * 1024 },
      ).catch((err: unknown) => {
        throw new ProvisionError(`go mod download ${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION} failed`, {
          cause: err,
        });
      });
      const moduleDir = (JSON.parse(stdout) as { Dir?: string }).Dir;
      if (!moduleDir) throw new ProvisionError(`go mod download gave no folder for ${SEAWEEDFS_MODULE}`);
      await runTool(go, ["build", "-trimpath", "-o", join(staging, `weed${exe}`), "./weed"], {
        cwd: moduleDir,
        env: { ...process.env, GOWORK: "off" },
      });
    },
  });
  return join(dir, `weed${exe}`);
}
