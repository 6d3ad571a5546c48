import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { cacheRoot } from "../../../../scripts/cache-root.mjs";
import { installOnce } from "./cache-install.ts";

const execFileAsync = promisify(execFile);

/** SeaweedFS, the S3-compatible store the S3 tests run against (Apache-2.0, Windows builds). */
export const SEAWEEDFS_MODULE = "github.com/seaweedfs/seaweedfs";
/** Pinned module version (a pseudo-version of the upstream repository). */
export const SEAWEEDFS_VERSION = "v0.0.0-20261109003541-7506e5f91cd6";

const exe = process.platform === "win32" ? ".exe" : "";

/** `go` from PATH, or the standard install location when PATH lacks it. */
function goBinary(): string {
  const standard =
    process.platform === "win32" ? "C:\\Program Files\\Go\\bin\\go.exe" : "/usr/local/go/bin/go";
  return existsSync(standard) ? standard : `go${exe}`;
}

/**
 * Builds the SeaweedFS `weed` binary from the Go module proxy into
 * `<cacheRoot>/seaweedfs/<version>/` once (lock + atomic rename) and returns its path.
 * `go install module@version` refuses this module (its go.mod has `replace` directives),
 * so the module is downloaded and built from its own folder, where they apply. The first
 * build is long (tens of minutes on two cores); afterwards it is instant.
 */
export async function provisionSeaweedfs(): Promise<string> {
  const dir = join(cacheRoot(), "seaweedfs", SEAWEEDFS_VERSION);
  await installOnce({
    targetDir: dir,
    staleLockMs: 3 * 3600_000,
    build: async (staging) => {
      const go = goBinary();
      const { stdout } = await execFileAsync(
        go,
        ["mod", "download", "-json", `${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION}`],
        {
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      const moduleDir = (JSON.parse(stdout) as { Dir?: string }).Dir;
      if (!moduleDir) throw new Error(`go mod download gave no folder for ${SEAWEEDFS_MODULE}`);
      await execFileAsync(go, ["build", "-trimpath", "-o", join(staging, `weed${exe}`), "./weed"], {
        cwd: moduleDir,
        env: { ...process.env, GOWORK: "off" },
        maxBuffer: 64 * 1024 * 1024,
      });
    },
  });
  return join(dir, `weed${exe}`);
}
