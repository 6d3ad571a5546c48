/**
 * Structure checks of the generated PowerShell scripts, for hosts without PowerShell. Not a
 * parser: it checks what breaks a script or a Windows host most often — unbalanced brackets
 * and quotes, declared parameters never used, POSIX paths, a missing strict prologue, unquoted
 * paths and variables in `sc.exe`/shawl/icacls calls, and bundle (or dot-sourced) files the manifest does not
 * list. Each check returns its problems as text (empty: none).
 */

/** The script's text with comments removed and every string literal's content blanked. */
interface Scanned {
  readonly problems: string[];
  /** Code outside comments, with string contents replaced by spaces (quotes kept). */
  readonly code: string;
  /** The contents of every string literal, in order. */
  readonly strings: string[];
}

const closing: Record<string, string> = { "(": ")", "{": "}", "[": "]" };

/**
 * Scans PowerShell text: `#` and `<# #>` comments, single-quoted strings (`''` escapes a
 * quote), double-quoted strings (backtick escapes; `$( … )` subexpressions may nest quotes),
 * here-strings, and the bracket pairs outside strings, which must balance.
 */
export function scanPowerShell(text: string): Scanned {
  const problems: string[] = [];
  const strings: string[] = [];
  const stack: { char: string; line: number }[] = [];
  let code = "";
  let line = 1;
  let i = 0;
  const lineAt = () => line;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "\n") line++;
    if (c === "<" && text[i + 1] === "#") {
      const end = text.indexOf("#>", i + 2);
      if (end < 0) {
        problems.push(`line ${lineAt()}: block comment never closed`);
        break;
      }
      line += text.slice(i, end).split("\n").length - 1;
      i = end + 2;
      continue;
    }
    if (c === "#") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (c === "@" && (text[i + 1] === "'" || text[i + 1] === '"') && text[i + 2] === "\n") {
      const terminator = `\n${text[i + 1]}@`;
      const end = text.indexOf(terminator, i + 2);
      if (end < 0) {
        problems.push(`line ${lineAt()}: here-string never closed`);
        break;
      }
      strings.push(text.slice(i + 3, end));
      line += text.slice(i, end + 3).split("\n").length - 1;
      code += "@''@";
      i = end + 3;
      continue;
    }
    if (c === "'" || c === '"') {
      const start = i;
      const startLine = line;
      let content = "";
      let depth = 0;
      i++;
      for (;;) {
        if (i >= text.length) {
          problems.push(`line ${startLine}: string never closed`);
          break;
        }
        const d = text[i] as string;
        if (d === "\n") line++;
        if (c === '"' && d === "`") {
          content += text.slice(i, i + 2);
          i += 2;
          continue;
        }
        if (c === '"' && d === "$" && text[i + 1] === "(") {
          depth++;
          content += "$(";
          i += 2;
          continue;
        }
        if (c === '"' && depth > 0 && d === ")") depth--;
        if (d === c && depth === 0) {
          if (text[i + 1] === c) {
            content += d;
            i += 2;
            continue;
          }
          break;
        }
        content += d;
        i++;
      }
      strings.push(content);
      code += `${c}${" ".repeat(Math.max(0, i - start - 1))}${c}`;
      i++;
      continue;
    }
    if (c in closing) stack.push({ char: c, line });
    else if (c === ")" || c === "}" || c === "]") {
      const open = stack.pop();
      if (!open) problems.push(`line ${line}: "${c}" closes nothing`);
      else if (closing[open.char] !== c) {
        problems.push(`line ${line}: "${c}" closes "${open.char}" opened on line ${open.line}`);
      }
    }
    code += c;
    i++;
  }
  for (const open of stack) problems.push(`line ${open.line}: "${open.char}" never closed`);
  return { problems, code, strings };
}

/** The names declared in the script's top-level `param( … )` block. */
export function paramNames(text: string): string[] {
  const { code } = scanPowerShell(text);
  const start = /^\s*param\s*\(/im.exec(code);
  if (!start) return [];
  let depth = 0;
  let end = start.index + start[0].length - 1;
  for (; end < code.length; end++) {
    if (code[end] === "(") depth++;
    else if (code[end] === ")" && --depth === 0) break;
  }
  const block = code.slice(start.index, end);
  // A parameter is the `$Name` closing each comma-separated declaration (after its attributes).
  return [...block.matchAll(/\]\s*\$(\w+)|\(\s*\$(\w+)|,\s*\$(\w+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/** Options of {@link checkPowerShell}. */
export interface CheckOptions {
  /**
   * The file is dot-sourced by scripts, not run: it runs in their scope after their strict
   * prologue, so it need not start with one.
   */
  readonly dotSourced?: boolean;
}

/** Every check on one script; `bundleFiles` are the bundle paths the manifest lists. */
export function checkPowerShell(
  text: string,
  bundleFiles: readonly string[],
  options: CheckOptions = {},
): string[] {
  const scanned = scanPowerShell(text);
  const problems = [...scanned.problems];

  // Strict prologue right after the param block, before any other statement.
  const statements = scanned.code
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const afterParam = text.slice(text.search(/^\)\s*$/m) + 1).trimStart();
  if (
    !options.dotSourced &&
    !afterParam.startsWith("Set-StrictMode -Version Latest\n$ErrorActionPreference = 'Stop'")
  ) {
    problems.push(
      "the script does not start with Set-StrictMode -Version Latest and $ErrorActionPreference = 'Stop'",
    );
  }
  if (statements.length === 0) problems.push("no code");

  // Every declared parameter is read somewhere after the param block.
  const body = text.slice(text.search(/^\)\s*$/m) + 1);
  for (const name of paramNames(text)) {
    if (!new RegExp(`\\$${name}\\b`, "i").test(body)) problems.push(`parameter $${name} is never used`);
  }

  // No POSIX paths anywhere (strings or code).
  for (const m of text.matchAll(/(?<![\w.:/\\-])\/(?:usr|tmp|etc|var|home|bin|dev|proc|opt|root)\b/g)) {
    problems.push(`POSIX path at line ${text.slice(0, m.index).split("\n").length}: ${m[0]}`);
  }

  // sc.exe, icacls and shawl calls: every argument holding a variable or a path is quoted.
  for (const [index, raw] of text.split("\n").entries()) {
    const lineText = raw.trim();
    if (!/^&\s+(?:sc\.exe|icacls\.exe|"\$Shawl")\s/.test(lineText)) continue;
    const args = lineText.replace(/\|\s*Out-Null\s*$/, "").match(/'(?:[^']|'')*'|"(?:[^"`]|`.)*"|\S+/g) ?? [];
    for (const arg of args.slice(2)) {
      const quoted = arg.startsWith("'") || arg.startsWith('"');
      const flag = /^\/[a-z]+(?::[a-z]+)?$/i.test(arg);
      if (!quoted && !flag && /[$\\:]/.test(arg))
        problems.push(`line ${index + 1}: unquoted argument ${arg}`);
    }
  }

  // Bundle files the script names ('node\node.exe', "$run\app\…\main.ts") are in the manifest.
  const listed = new Set(bundleFiles.map((f) => f.toLowerCase()));
  const bundlePath = /^(?:node|bin|app|deploy)\\[\w.\\-]*[\w.-]$/;
  for (const literal of scanned.strings) {
    const named = [
      ...(bundlePath.test(literal) ? [literal] : []),
      ...[...literal.matchAll(/\$\w+\\((?:node|bin|app|deploy)\\[\w.\\-]*[\w.-])/g)].map((m) => m[1] ?? ""),
    ];
    for (const path of named) {
      if (!listed.has(path.toLowerCase())) problems.push(`bundle file ${path} is not in the manifest`);
    }
  }

  // Files dot-sourced from the script's own folder (deploy\windows in the bundle) are listed too.
  for (const m of text.matchAll(/^\s*\.\s+\(Join-Path \$PSScriptRoot '([^']+)'\)/gm)) {
    const path = `deploy\\windows\\${m[1] ?? ""}`;
    if (!listed.has(path.toLowerCase())) problems.push(`dot-sourced file ${path} is not in the manifest`);
  }
  return problems;
}
