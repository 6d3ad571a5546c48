import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheRoot } from "../../../../scripts/cache-root.mjs";
import { installDir } from "./install-dir.ts";
import { runTool } from "./run-tool.ts";

/** A provisioned Python environment. */
export interface PythonEnv {
  /** Absolute path of the venv's python executable. Run tools as `python -m <module>`. */
  python: string;
}

const requirementsFile = join(dirname(fileURLToPath(import.meta.url)), "python-requirements.txt");

let pending: Promise<PythonEnv> | undefined;

/**
 * Returns a Python venv with the packages of `python-requirements.txt` (protobuf runtime,
 * grpcio-tools' protoc, ...), installed with pip from the Python package index into
 * `<cacheRoot()>/python/<hash>`. The folder is named after the requirements file's hash, so the
 * venv is rebuilt only when that file changes; {@link installDir} builds it under a
 * cross-process lock in a staging folder and renames it into place once verified. The base
 * interpreter is `LANGTIAN_PYTHON`, else `python3` (`python` on Windows), Python 3.10 or newer.
 */
export function provisionPython(): Promise<PythonEnv> {
  pending ??= provisionPythonOnce().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function provisionPythonOnce(): Promise<PythonEnv> {
  const requirements = await readFile(requirementsFile);
  const hash = createHash("sha256").update(requirements).digest("hex").slice(0, 16);
  const venv = await installDir({
    label: `python venv ${hash}`,
    dir: join(cacheRoot(), "python", hash),
    build: async (staging) => {
      await runTool(basePython(), ["-m", "venv", staging]);
      const python = venvPython(staging);
      // Wheels only: a source build of grpcio-tools takes many minutes and needs a C++ toolchain.
      await runTool(python, [
        ...["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--require-virtualenv"],
        ...["--only-binary=:all:", "-r", requirementsFile],
      ]);
      await runTool(python, ["-c", "import grpc_tools.protoc, google.protobuf, protoc"]);
    },
  });
  // The venv is used from its final folder after the rename: tools always run as
  // `python -m ...`, so the staging paths pip wrote into console scripts never matter.
  return { python: venvPython(venv) };
}

function venvPython(venv: string): string {
  return process.platform === "win32" ? join(venv, "Scripts", "python.exe") : join(venv, "bin", "python");
}

function basePython(): string {
  return process.env.LANGTIAN_PYTHON ?? (process.platform === "win32" ? "python" : "python3");
}
