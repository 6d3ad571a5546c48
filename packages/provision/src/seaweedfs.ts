import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { cacheRoot } from "./cache-root.mjs";
import { goBinary } from "./go-binary.ts";
import { installDir, progress } from "./install-dir.ts";
import { missingToolError, networkHint } from "./prerequisites.ts";
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
 * build is long (about ten minutes on two cores with an empty Go build cache: `weed` links
 * some 1,700 packages, and no smaller main package serves `weed mini`); afterwards it is instant.
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
      let started = performance.now();
      progress(`seaweedfs: go mod download ${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION}`);
      const moduleDir = await downloadModule(go);
      progress(`seaweedfs: module downloaded in ${seconds(started)} s; go build ./weed (the long part)`);
      started = performance.now();
      // -ldflags=-s -w: no symbol table or DWARF, which the tests never use, so a shorter link
      // and a smaller binary. CGO_ENABLED=0: a static binary as upstream's release builds make,
      // without compiling and linking the C parts of the standard library. -trimpath: no
      // machine paths in the binary. The module's own dependencies download as the build needs them.
      await runTool(
        go,
        ["build", "-trimpath", "-ldflags=-s -w", "-o", join(staging, `weed${exe}`), "./weed"],
        {
          cwd: moduleDir,
          env: { ...process.env, GOWORK: "off", CGO_ENABLED: "0" },
          downloadsFrom: "the Go module proxy",
        },
      );
      progress(`seaweedfs: go build done in ${seconds(started)} s`);
    },
  });
  return join(dir, `weed${exe}`);
}

/** `go mod download` of the pinned module; returns the folder it unpacked it into. */
async function downloadModule(go: string): Promise<string> {
  // stdout alone is the JSON answer (go prints its progress on stderr), so not runTool.
  const { stdout } = await execFileAsync(
    go,
    ["mod", "download", "-json", `${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION}`],
    { maxBuffer: 16 * 1024 * 1024 },
  ).catch((err: NodeJS.ErrnoException & { stdout?: string; stderr?: string }) => {
    if (err.code === "ENOENT") throw missingToolError(go, err);
    const output = `${err.stdout ?? ""}\n${err.stderr ?? ""}`;
    const hint = networkHint(output, "the Go module proxy");
    const failed = `go mod download ${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION} failed`;
    throw new ProvisionError(hint ? `${hint}\n${failed}: ${output.trim()}` : `${failed}: ${output.trim()}`, {
      cause: err,
    });
  });
  const moduleDir = (JSON.parse(stdout) as { Dir?: string }).Dir;
  if (!moduleDir) throw new ProvisionError(`go mod download gave no folder for ${SEAWEEDFS_MODULE}`);
  return moduleDir;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}
