// Runs a script under Node.js 24, provisioning Node 24 from the npm registry when the
// running node is older. This file must itself run on old nodes (plain JS, no deps).
//
// Usage: node scripts/node24.mjs <script> [args...]
//
// The provisioned node lives in the per-user cache (see cacheRoot) so fresh clones and CI
// reuse it. Its bin folder is put first on PATH, so `npm`, `npx` and child `node`
// processes started by the script run on Node 24 too.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
// The one cache-root rule, in plain JS so this file can import it before Node 24 exists.
import { cacheRoot } from "../packages/provision/src/cache-root.mjs";

/** The Node.js version we provision; bump deliberately (docs/DECISIONS.md). */
const PINNED_NODE = "24.21.0";
const MIN_MAJOR = 24;

function platformPackage() {
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  if (process.platform === "win32") return `node-win-${arch}`;
  if (process.platform === "darwin") return `node-darwin-${arch}`;
  return `node-linux-${arch}`;
}

function nodeBinary(dir) {
  return process.platform === "win32" ? join(dir, "bin", "node.exe") : join(dir, "bin", "node");
}

/** Downloads and unpacks Node into the cache once; safe against concurrent callers. */
function provisionNode() {
  const pkg = platformPackage();
  const dir = join(cacheRoot(), "node", `${PINNED_NODE}-${pkg}`);
  if (existsSync(nodeBinary(dir))) return dir;
  mkdirSync(join(cacheRoot(), "node"), { recursive: true });
  const work = mkdtempSync(join(cacheRoot(), "node", ".download-"));
  const started = Date.now();
  process.stderr.write(`[node24] provisioning Node ${PINNED_NODE} (${pkg}) into ${dir}\n`);
  try {
    const npmCmd = process.platform === "win32" ? "npm.cmd" : "npm";
    const pack = spawnSync(
      npmCmd,
      ["pack", `${pkg}@${PINNED_NODE}`, "--silent", "--pack-destination", work],
      {
        stdio: ["ignore", "pipe", "inherit"],
        shell: process.platform === "win32",
      },
    );
    if (pack.status !== 0) throw new Error(`npm pack ${pkg}@${PINNED_NODE} failed`);
    const tgz = readdirSync(work).find((f) => f.endsWith(".tgz"));
    if (!tgz) throw new Error("npm pack produced no tarball");
    const untar = spawnSync("tar", ["-xzf", tgz], { cwd: work, stdio: "inherit" });
    if (untar.status !== 0) throw new Error("tar failed to unpack the Node package");
    try {
      renameSync(join(work, "package"), dir);
    } catch (err) {
      // Another process won the race: its copy is as good as ours.
      if (!existsSync(nodeBinary(dir))) throw err;
    }
    process.stderr.write(`[node24] ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

const [script, ...args] = process.argv.slice(2);
if (!script) {
  process.stderr.write("usage: node scripts/node24.mjs <script> [args...]\n");
  process.exit(2);
}

const major = Number(process.versions.node.split(".")[0]);
if (major >= MIN_MAJOR) {
  process.argv = [process.argv[0], resolve(script), ...args];
  await import(pathToFileURL(resolve(script)).href);
} else {
  const dir = provisionNode();
  const env = { ...process.env, PATH: `${join(dir, "bin")}${delimiter}${process.env.PATH ?? ""}` };
  const child = spawn(nodeBinary(dir), [resolve(script), ...args], { stdio: "inherit", env });
  // Forward signals so Ctrl+C and CI cancellation reach the real process tree.
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"]) {
    try {
      process.on(sig, () => child.kill(sig));
    } catch {
      // SIGBREAK does not exist outside Windows.
    }
  }
  child.on("exit", (code, signal) => {
    process.exit(code ?? (signal ? 1 : 0));
  });
}
