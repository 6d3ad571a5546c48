import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

const exe = process.platform === "win32" ? ".exe" : "";

/** `go` from PATH, or the standard install location when PATH lacks it (CI shells). */
export function goBinary(): string {
  const onPath = (process.env.PATH ?? "")
    .split(delimiter)
    .map((d) => join(d, `go${exe}`))
    .find((p) => existsSync(p));
  if (onPath) return onPath;
  const standard =
    process.platform === "win32" ? "C:\\Program Files\\Go\\bin\\go.exe" : "/usr/local/go/bin/go";
  return existsSync(standard) ? standard : `go${exe}`;
}
