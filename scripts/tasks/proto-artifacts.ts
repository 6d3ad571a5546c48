import { createHash } from "node:crypto";
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { provisionPython } from "../../packages/provision/src/python.ts";
import { repoRoot } from "../lib/run.ts";
import {
  artifactsDir,
  assertGeneratedCurrent,
  assertVersionBumped,
  capture,
  contractVersion,
  generatedDir,
  listFiles,
  ProtoCheckError,
  protocArtifacts,
  upstreamProtoc,
} from "./proto.ts";

/** The workspace package whose name, engines and dependencies the npm tarball takes. */
const protoPackageJson = join(repoRoot, "packages", "proto", "package.json");

/** Name of the Python distribution (`pip install langtian-contracts`). */
export const wheelName = "langtian-contracts";
/** Name of the C# project, its assembly and its NuGet package id. */
export const csharpProjectName = "Langtian.Contracts";
/** Checksum file written beside the artifacts, in `sha256sum` format. */
export const checksumFileName = "SHA256SUMS";

/**
 * Archive timestamp of every file in the wheel (`SOURCE_DATE_EPOCH`): the one npm pack gives
 * every tarball entry (1985-10-26T08:15:00Z), so the same sources give the same bytes.
 */
const sourceDateEpoch = "499162500";

/** One file written by {@link buildArtifacts}, with its checksum. */
export interface ArtifactFile {
  /** Path relative to the output folder, with `/` separators. */
  path: string;
  sha256: string;
}

/** What {@link buildArtifacts} wrote. */
export interface ContractArtifacts {
  /** The contracts' version, from proto/VERSION. */
  version: string;
  /** The npm tarball of `@langtian/proto` (absolute path). */
  npmTarball: string;
  /** The Python wheel (absolute path). */
  wheel: string;
  /** Folder of the C# sources and their `.csproj` (absolute path). */
  csharpDir: string;
  /** `Google.Protobuf` version the C# project references: the runtime of the protoc used. */
  csharpRuntimeVersion: string;
  /** Every file of the output folder except SHA256SUMS, sorted by path. */
  files: ArtifactFile[];
}

/**
 * Builds the contract artifacts into `outDir` (emptied first), all versioned by proto/VERSION
 * (refused when that version was already released with other contracts, or when the committed
 * TypeScript is stale): the npm tarball of
 * `@langtian/proto` (JavaScript plus declarations, for plain Node), the Python wheel
 * `langtian-contracts`, the C# sources with `Langtian.Contracts.csproj` under `csharp/`, and
 * SHA256SUMS. The same sources give byte-identical files: archive timestamps are fixed and
 * file modes normalized.
 */
export async function buildArtifacts(outDir: string): Promise<ContractArtifacts> {
  const version = await contractVersion();
  await assertVersionBumped();
  // The tarball packs the committed TypeScript while the wheel and C# come from proto/: they
  // hold the same contracts only while the committed code is current.
  await assertGeneratedCurrent();
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const scratch = await mkdtemp(join(tmpdir(), "langtian-proto-artifacts-"));
  try {
    const pythonOut = join(scratch, "python");
    const csharpDir = join(outDir, "csharp");
    await protocArtifacts({ pythonOut, csharpOut: csharpDir });
    const npmTarball = await buildNpmTarball(version, join(scratch, "npm"), outDir);
    const wheel = await buildWheel(version, pythonOut, join(scratch, "wheel"), outDir);
    const csharpRuntimeVersion = await writeCsharpProject(version, csharpDir);
    const files = await checksums(outDir);
    await writeFile(join(outDir, checksumFileName), files.map((f) => `${f.sha256}  ${f.path}\n`).join(""));
    return { version, npmTarball, wheel, csharpDir, csharpRuntimeVersion, files };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** `npm run proto:artifacts`: builds into dist/proto and prints every file with its sha256. */
export async function writeArtifacts(): Promise<void> {
  const built = await buildArtifacts(artifactsDir);
  const shown = relative(repoRoot, artifactsDir).split(sep).join("/");
  process.stdout.write(
    `contract artifacts ${built.version} in ${shown}/ (sha256, also in ${checksumFileName}):\n`,
  );
  for (const file of built.files) process.stdout.write(`${file.sha256}  ${shown}/${file.path}\n`);
}

/**
 * Packs `@langtian/proto` for consumers outside this repository. In the workspace its entry
 * point is TypeScript, which Node does not run from node_modules; the tarball gets it compiled
 * (`index.js` + `index.d.ts`) beside the generated JavaScript and declarations.
 */
async function buildNpmTarball(version: string, stage: string, outDir: string): Promise<string> {
  const sourceDir = dirname(generatedDir);
  await cp(generatedDir, join(stage, "gen"), { recursive: true });
  await capture("tsc", [
    ...["--declaration", "--strict", "--skipLibCheck", "--types", "node"],
    ...["--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022"],
    ...["--rootDir", sourceDir, "--outDir", stage, join(sourceDir, "index.ts")],
  ]);
  const source = JSON.parse(await readFile(protoPackageJson, "utf8")) as {
    name: string;
    engines?: Record<string, string>;
    dependencies?: Record<string, string>;
  };
  const manifest = {
    name: source.name,
    version,
    description:
      "Protobuf contracts of Langtian EDA: generated protobuf-es v2 code for every message and service",
    type: "module",
    sideEffects: false,
    exports: { ".": { types: "./index.d.ts", default: "./index.js" } },
    types: "./index.d.ts",
    engines: source.engines,
    dependencies: source.dependencies,
  };
  await writeFile(join(stage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(
    join(stage, "README.md"),
    `# ${source.name} ${version}\n\n` +
      "Generated protobuf-es v2 code for every Langtian EDA contract: messages (`EnvelopeSchema`,\n" +
      "`TelemetrySchema`, ...) and service descriptors. Use it with `@bufbuild/protobuf`:\n\n" +
      "```js\n" +
      'import { create, fromBinary, toBinary } from "@bufbuild/protobuf";\n' +
      `import { EnvelopeSchema } from "${source.name}";\n` +
      "```\n",
  );
  await normalizeModes(stage);
  const packed = JSON.parse(
    await capture("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", outDir], {
      cwd: stage,
    }),
  ) as { filename: string }[];
  const filename = packed[0]?.filename;
  if (filename === undefined) throw new ProtoCheckError("npm pack named no tarball");
  return join(outDir, filename);
}

/**
 * Builds the wheel with setuptools' PEP 517 backend from the venv of `provisionPython()` (no
 * build isolation, so nothing is downloaded). Parent folders (`langtian`, `langtian.device`)
 * stay namespace packages, so other distributions can add to `langtian`. The runtime
 * requirements come from the generated code itself: protobuf at least the version its protoc
 * generated for (same major), grpcio for the `_pb2_grpc` stubs as the `grpc` extra.
 */
async function buildWheel(
  version: string,
  pythonOut: string,
  stage: string,
  outDir: string,
): Promise<string> {
  const { python } = await provisionPython();
  await cp(pythonOut, stage, { recursive: true });
  const modules = (await listFiles(stage)).filter((f) => f.endsWith(".py"));
  const packageDirs = [...new Set(modules.map((f) => f.slice(0, f.lastIndexOf("/"))))].sort();
  // PEP 561: the .pyi stubs are used by type checkers only in packages marked typed.
  for (const dir of packageDirs) await writeFile(join(stage, dir, "py.typed"), "");
  const sample = await readFile(join(stage, modules.find((f) => f.endsWith("_pb2.py")) ?? ""), "utf8");
  const protobufVersion = /^# Protobuf Python Version: (\d+)\.(\d+\.\d+)$/m.exec(sample);
  const grpcSample = await readFile(
    join(stage, modules.find((f) => f.endsWith("_pb2_grpc.py")) ?? ""),
    "utf8",
  );
  const grpcVersion = /^GRPC_GENERATED_VERSION = '([\d.]+)'$/m.exec(grpcSample);
  if (protobufVersion === null || grpcVersion === null) {
    throw new ProtoCheckError("cannot read the protobuf and gRPC versions from the generated Python code");
  }
  const [, major, rest] = protobufVersion;
  const toml = (value: unknown) => JSON.stringify(value);
  await writeFile(
    join(stage, "pyproject.toml"),
    [
      "[build-system]",
      `requires = ${toml(["setuptools"])}`,
      `build-backend = "setuptools.build_meta"`,
      "",
      "[project]",
      `name = ${toml(wheelName)}`,
      `version = ${toml(version)}`,
      `description = "Protobuf contracts of Langtian EDA: generated Python code for every message and service"`,
      `requires-python = ">=3.10"`,
      `dependencies = ${toml([`protobuf>=${major}.${rest},<${Number(major) + 1}`])}`,
      "",
      "[project.optional-dependencies]",
      `grpc = ${toml([`grpcio>=${grpcVersion[1]}`])}`,
      "",
      "[tool.setuptools]",
      `packages = ${toml(packageDirs.map((d) => d.replaceAll("/", ".")))}`,
      "include-package-data = false",
      "",
      "[tool.setuptools.package-data]",
      `"*" = ${toml(["*.pyi", "py.typed"])}`,
      "",
    ].join("\n"),
  );
  await normalizeModes(stage);
  const built = await capture(
    python,
    [
      "-c",
      "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))",
      outDir,
    ],
    { cwd: stage, env: { SOURCE_DATE_EPOCH: sourceDateEpoch } },
  );
  // setuptools logs its steps on stdout too; the backend's answer, the file name, comes last.
  const filename = built.trim().split("\n").at(-1)?.trim() ?? "";
  if (!filename.endsWith(".whl")) throw new ProtoCheckError(`setuptools named no wheel:\n${built}`);
  return join(outDir, filename);
}

/**
 * Writes `Langtian.Contracts.csproj` beside the generated C# sources, which the SDK's default
 * `**\/*.cs` glob compiles. It references `Google.Protobuf` 3.X.Y for protoc X.Y: the C# runtime
 * of the same protobuf release as the protoc that generated the code. Returns that version.
 */
async function writeCsharpProject(version: string, csharpDir: string): Promise<string> {
  const { python } = await provisionPython();
  const protocVersion = /^libprotoc (\d+\.\d+)$/m.exec(
    await capture(await upstreamProtoc(python), ["--version"]),
  );
  if (protocVersion === null) throw new ProtoCheckError("cannot read the version of protoc");
  const runtimeVersion = `3.${protocVersion[1]}`;
  await writeFile(
    join(csharpDir, `${csharpProjectName}.csproj`),
    [
      `<Project Sdk="Microsoft.NET.Sdk">`,
      "  <!-- Generated by npm run proto:artifacts from the contracts in proto/. Do not edit. -->",
      "  <PropertyGroup>",
      "    <TargetFramework>netstandard2.0</TargetFramework>",
      `    <AssemblyName>${csharpProjectName}</AssemblyName>`,
      `    <RootNamespace>Langtian</RootNamespace>`,
      `    <PackageId>${csharpProjectName}</PackageId>`,
      `    <Version>${version}</Version>`,
      "    <Description>Protobuf contracts of Langtian EDA: generated C# message classes.</Description>",
      "    <Deterministic>true</Deterministic>",
      "  </PropertyGroup>",
      "  <ItemGroup>",
      `    <PackageReference Include="Google.Protobuf" Version="${runtimeVersion}" />`,
      "  </ItemGroup>",
      "</Project>",
      "",
    ].join("\n"),
  );
  await normalizeModes(csharpDir);
  return runtimeVersion;
}

/** Files and folders get 0644 / 0755 whatever the umask, since archives record modes. */
async function normalizeModes(dir: string): Promise<void> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    await chmod(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
}

async function checksums(dir: string): Promise<ArtifactFile[]> {
  const files = (await listFiles(dir)).filter((f) => f !== checksumFileName);
  return Promise.all(
    files.map(async (path) => ({
      path,
      sha256: createHash("sha256")
        .update(await readFile(join(dir, path)))
        .digest("hex"),
    })),
  );
}
