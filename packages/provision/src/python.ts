import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheRoot } from "./cache-root.mjs";
import { installDir, progress } from "./install-dir.ts";
import { runTool } from "./run-tool.ts";
import { refuseInUnitTier } from "./test-tier.ts";

/** A provisioned Python environment. */
export interface PythonEnv {
  /** Absolute path of the venv's python executable. Run tools as `python -m <module>`. */
  python: string;
  /** The venv's folder (`activate` it in a shell to use `pip`, `protoc` and the rest). */
  venv: string;
  /** Absolute path of one of the venv's scripts, e.g. `script("pip")` (`.exe` on Windows). */
  script(name: string): string;
}

const requirementsFile = join(dirname(fileURLToPath(import.meta.url)), "python-requirements.txt");

let pending: Promise<PythonEnv> | undefined;

/**
 * Returns a Python venv with the packages of `python-requirements.txt` (protobuf runtime,
 * grpcio-tools' protoc, ...), installed with pip from the Python package index into
 * `<cacheRoot()>/python/<hash>`. The folder is named after the requirements file's hash, so the
 * venv is rebuilt only when that file changes. {@link installDir} builds it in place (a venv's
 * scripts and `activate` name its folder by absolute path, so it cannot be renamed into place)
 * under a cross-process lock, and marks it complete once verified. The base interpreter is
 * `LANGTIAN_PYTHON`, else `python3` (`python` on Windows), Python 3.10 or newer.
 */
export function provisionPython(): Promise<PythonEnv> {
  refuseInUnitTier("provisioning the Python venv");
  pending ??= provisionPythonOnce().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function provisionPythonOnce(): Promise<PythonEnv> {
  const requirements = await readFile(requirementsFile);
  // The layout is part of the name: venvs of the earlier layout (built in a staging folder and
  // renamed, with broken scripts) are never taken for complete ones.
  const hash = createHash("sha256")
    .update("built in place\n")
    .update(requirements)
    .digest("hex")
    .slice(0, 16);
  const venv = await installDir({
    label: `python venv ${hash}`,
    dir: join(cacheRoot(), "python", hash),
    inPlace: true,
    build: async (dir) => {
      await runTool(basePython(), ["-m", "venv", dir]);
      const python = venvPython(dir);
      progress(`python venv: pip install -r ${requirementsFile}`);
      // Wheels only: a source build of grpcio-tools takes many minutes and needs a C++ toolchain.
      await runTool(
        python,
        [
          ...["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--require-virtualenv"],
          ...["--only-binary=:all:", "-r", requirementsFile],
        ],
        { downloadsFrom: "the Python package index" },
      );
      await runTool(python, ["-c", "import grpc_tools.protoc, google.protobuf, protoc"]);
    },
  });
  return { python: venvPython(venv), venv, script: (name) => venvScript(venv, name) };
}

function venvScript(venv: string, name: string): string {
  return process.platform === "win32" ? join(venv, "Scripts", `${name}.exe`) : join(venv, "bin", name);
}

function venvPython(venv: string): string {
  return venvScript(venv, "python");
}

function basePython(): string {
  return process.env.LANGTIAN_PYTHON ?? (process.platform === "win32" ? "python" : "python3");
}
