import { readdirSync, readFileSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";
import ts from "typescript";

// The dependency rules of the repository, checked by `npm run lint`:
// - no service imports another service (services meet through NATS, Kafka and RPC; shared
//   code belongs in packages/);
// - no package imports a service;
// - nothing imports scripts/ (they are entry points), except scripts themselves;
// - production code (files of services and packages that are neither tests nor under a
//   `testing/` folder) never imports @langtian/testing or a `testing` subpath or folder;
// - bench/ reaches our code only by package name (@langtian/...), never by a relative path.

/** One source file: its path relative to the repository root (`/`-separated) and its text. */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

/** One import that breaks a rule. */
export interface BoundaryViolation {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly rule: string;
}

/** Folders whose files are checked; the rest of the repository holds no code of ours. */
const checkedRoots = ["services", "packages", "scripts", "bench", "e2e", "web", "deploy"];
const skippedFolders = new Set(["node_modules", "dist", ".git"]);
const codeFile = /\.(?:[cm]?[jt]s|tsx)$/;

/** Where a file sits: its top folder and, for services and packages, its workspace. */
interface Place {
  readonly top: string;
  /** `services/bridge`, `packages/testing`; absent outside services/ and packages/. */
  readonly workspace?: string;
  /** Path inside the workspace (or the whole path outside one). */
  readonly inner: string;
}

function placeOf(path: string): Place {
  const parts = path.split("/");
  const top = parts[0] ?? "";
  if ((top === "services" || top === "packages") && parts.length > 2) {
    return { top, workspace: `${top}/${parts[1]}`, inner: parts.slice(2).join("/") };
  }
  return { top, inner: path };
}

/** Test code: `*.test.*` files, a `test/` folder of a workspace, `testing/` folders, and packages/testing. */
function isTestCode(place: Place): boolean {
  if (place.workspace === "packages/testing") return true;
  const segments = place.inner.split("/");
  const name = segments.at(-1) ?? "";
  return /\.test\.[cm]?[jt]sx?$/.test(name) || segments[0] === "test" || segments.includes("testing");
}

/** What an import points at: a repository path, or a workspace package and its subpath. */
interface Target {
  readonly place: Place;
  /** True for @langtian/testing, a `./testing` subpath, or a file under a `testing/` folder. */
  readonly testing: boolean;
  readonly relative: boolean;
}

function resolveTarget(
  from: string,
  specifier: string,
  workspaces: ReadonlyMap<string, string>,
): Target | undefined {
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    const path = posix.normalize(posix.join(posix.dirname(from), specifier));
    if (path.startsWith("../")) return undefined;
    const place = placeOf(path);
    return {
      place,
      testing: place.workspace === "packages/testing" || isTestingFolder(place),
      relative: true,
    };
  }
  const match = /^(@langtian\/[^/]+)(?:\/(.*))?$/.exec(specifier);
  if (!match?.[1]) return undefined;
  const dir = workspaces.get(match[1]);
  if (dir === undefined) return undefined;
  const subpath = match[2] ?? "";
  const place = placeOf(`${dir}/${subpath}`);
  const testing = dir === "packages/testing" || subpath.split("/").includes("testing");
  return { place, testing, relative: false };
}

function isTestingFolder(place: Place): boolean {
  return place.workspace !== undefined && place.inner.split("/").slice(0, -1).includes("testing");
}

/** Why importing `specifier` from `from` breaks a rule, or undefined when it does not. */
export function ruleBroken(
  from: string,
  specifier: string,
  workspaces: ReadonlyMap<string, string>,
): string | undefined {
  const target = resolveTarget(from, specifier, workspaces);
  if (!target) return undefined;
  const source = placeOf(from);
  if (target.place.top === "scripts" && source.top !== "scripts") {
    return "nothing imports scripts/ (they are entry points); move shared code into a package";
  }
  if (source.top === "bench" && target.relative && target.place.top !== "bench") {
    return "bench/ imports our code by package name only (@langtian/<name>, exported by that package)";
  }
  if (source.top === "services" && target.place.top === "services") {
    if (target.place.workspace !== source.workspace) {
      return "a service imports another service; share code through packages/";
    }
  }
  if (source.top === "packages" && target.place.top === "services") {
    return "a package imports a service";
  }
  if (source.workspace !== undefined && !isTestCode(source) && target.testing) {
    return "production code imports test helpers (@langtian/testing, a testing subpath or folder)";
  }
  return undefined;
}

/**
 * Every module specifier of a file with its line: static imports and `import type`,
 * `export … from`, dynamic `import("…")` and `require("…")` (the TypeScript scanner, which
 * also reads JavaScript).
 */
export function importsOf(text: string): { specifier: string; line: number }[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles.map((ref) => ({
    specifier: ref.fileName,
    line: text.slice(0, ref.pos).split("\n").length,
  }));
}

/** Checks the files against the rules; `workspaces` maps package names to their folders. */
export function checkBoundaries(
  files: readonly SourceFile[],
  workspaces: ReadonlyMap<string, string>,
): BoundaryViolation[] {
  const violations: BoundaryViolation[] = [];
  for (const file of files) {
    for (const { specifier, line } of importsOf(file.text)) {
      const rule = ruleBroken(file.path, specifier, workspaces);
      if (rule) violations.push({ file: file.path, line, specifier, rule });
    }
  }
  return violations;
}

/** One line per violation: `file:line: import "specifier": rule`. */
export function formatViolations(violations: readonly BoundaryViolation[]): string {
  return violations.map((v) => `${v.file}:${v.line}: import "${v.specifier}": ${v.rule}`).join("\n");
}

/** The code files of the repository under the checked folders. */
export function readSourceFiles(root: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (skippedFolders.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && codeFile.test(entry.name)) {
        files.push({ path: relative(root, path).split(sep).join("/"), text: readFileSync(path, "utf8") });
      }
    }
  };
  for (const top of checkedRoots) {
    try {
      walk(join(root, top));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  return files;
}

/** Package name → folder of every workspace in the root package.json. */
export function readWorkspaces(root: string): Map<string, string> {
  const rootPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    workspaces?: string[];
  };
  const workspaces = new Map<string, string>();
  for (const dir of rootPackage.workspaces ?? []) {
    const pkg = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as { name: string };
    workspaces.set(pkg.name, dir);
  }
  return workspaces;
}

/** Error thrown by {@link assertBoundaries} listing every violation. */
export class BoundaryError extends Error {
  override name = "BoundaryError";
}

/** Checks the repository at `root` and throws a {@link BoundaryError} naming every violation. */
export function assertBoundaries(root: string): number {
  const files = readSourceFiles(root);
  const violations = checkBoundaries(files, readWorkspaces(root));
  if (violations.length > 0) {
    throw new BoundaryError(
      `${violations.length} import(s) break the repository's boundaries:\n${formatViolations(violations)}`,
    );
  }
  return files.length;
}
