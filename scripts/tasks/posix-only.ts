import type { SourceFile } from "./import-boundaries.ts";

// The services run natively on Windows, so their production code must not depend on POSIX
// alone: no absolute POSIX paths (`/tmp/`, `/proc/`, ...), no shell (`spawn("sh", ...)`,
// `exec("...")`, `shell: true`), no process groups (`process.kill(-pid)`). Checked by
// `npm run lint`. A use guarded by a platform branch (or harmless elsewhere, e.g. a file that
// is simply absent on Windows) is allowed by a `posix-only: <why>` comment on its line or in the
// comment right above it.

/** One POSIX-only use in production code. */
export interface PosixOnlyUse {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly text: string;
}

const rules: readonly { readonly rule: string; readonly pattern: RegExp }[] = [
  {
    rule: "absolute POSIX path",
    pattern: /["'`]\/(?:tmp|dev|proc|sys|usr|etc|var|bin|run|home)(?:\/|["'`])/,
  },
  {
    rule: "a POSIX shell",
    pattern: /\b(?:spawn|spawnSync|execFile|execFileSync)\(\s*["'`](?:\/bin\/)?(?:ba)?sh["'`]/,
  },
  { rule: "a command line run by a shell", pattern: /(?<![.\w])exec(?:Sync)?\(|\bshell:\s*true\b/ },
  { rule: "a process group (negative pid)", pattern: /process\.kill\(\s*-/ },
];

const allowComment = /posix-only:/;

/**
 * Production code of the services and of the packages they ship with: not tests, not
 * `testing/` folders, not packages/testing, and not packages/provision (development tooling
 * that fetches Linux binaries for tests and benchmarks; it is not part of a Windows install).
 */
export function isShippedCode(path: string): boolean {
  const parts = path.split("/");
  if (parts[0] !== "services" && parts[0] !== "packages") return false;
  if (path.startsWith("packages/testing/") || path.startsWith("packages/provision/")) return false;
  if (parts[2] !== "src") return false;
  const name = parts.at(-1) ?? "";
  return !/\.test\.[cm]?[jt]sx?$/.test(name) && !parts.includes("testing") && !parts.includes("test");
}

/** The comment lines right above line `index` (a `//` run or a JSDoc block). */
function commentAbove(lines: readonly string[], index: number): string[] {
  const above: string[] = [];
  for (let i = index - 1; i >= 0; i--) {
    const line = (lines[i] ?? "").trim();
    if (!/^(?:\/\/|\/\*|\*)/.test(line)) break;
    above.push(line);
  }
  return above;
}

/** Every POSIX-only use in `files` that is shipped code and carries no `posix-only:` comment. */
export function findPosixOnly(files: readonly SourceFile[]): PosixOnlyUse[] {
  const uses: PosixOnlyUse[] = [];
  for (const file of files) {
    if (!isShippedCode(file.path)) continue;
    const lines = file.text.split("\n");
    for (const [index, text] of lines.entries()) {
      const code = text.trim();
      // Comments describe paths (e.g. "reads /proc/net/snmp"); only code counts.
      if (code.startsWith("//") || code.startsWith("*") || code.startsWith("/*")) continue;
      for (const { rule, pattern } of rules) {
        if (!pattern.test(text)) continue;
        if (allowComment.test(text) || commentAbove(lines, index).some((l) => allowComment.test(l))) continue;
        uses.push({ file: file.path, line: index + 1, rule, text: code });
      }
    }
  }
  return uses;
}

/** The uses as lines `file:line: rule: code`. */
export function formatPosixOnly(uses: readonly PosixOnlyUse[]): string {
  return uses.map((u) => `  ${u.file}:${u.line}: ${u.rule}: ${u.text}`).join("\n");
}
