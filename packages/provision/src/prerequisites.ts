import { ProvisionError } from "./provision-error.ts";

/**
 * The tools provisioning runs but does not install itself, and how to get each: the
 * prerequisites of a fresh machine (README.md, "Quick start"). Keyed by the command's name
 * without a Windows suffix (`mvn.cmd` is `mvn`).
 */
export const PREREQUISITES = {
  go: {
    what: "Go 1.21 or newer (it fetches the newer toolchain the modules ask for through the Go module proxy)",
    why: "to build nats-server and SeaweedFS",
    how: "install the official Go release into /usr/local/go (or `apt-get install golang-go` on Debian), or put `go` on PATH",
  },
  java: {
    what: "Java 17 or newer",
    why: "to run Kafka",
    how: "`apt-get install openjdk-17-jre-headless` (any JDK or JRE 17+ will do), or set JAVA_HOME to one",
  },
  mvn: {
    what: "Apache Maven",
    why: "to fetch Kafka's jars from Maven Central",
    how: "`apt-get install maven`, or put `mvn` on PATH",
  },
  python3: {
    what: "Python 3.10 or newer",
    why: "for the Python venv (protoc, the Python reader tests) and the DuckDB extension files (fetched with pip)",
    how: "`apt-get install python3 python3-venv`, or set LANGTIAN_PYTHON to a python executable",
  },
  python: {
    what: "Python 3.10 or newer",
    why: "for the Python venv (protoc, the Python reader tests) and the DuckDB extension files (fetched with pip)",
    how: "install Python 3 and put `python` on PATH, or set LANGTIAN_PYTHON to a python executable",
  },
  "apt-get": {
    what: "apt-get (Debian's package manager)",
    why: "to install Debian packages",
    how: "install the package named in the message by other means",
  },
} as const;

/** The bare name of a command: no folder, no `.exe`/`.cmd`. */
function commandName(command: string): string {
  const base = command.split(/[\\/]/).pop() ?? command;
  return base.replace(/\.(exe|cmd|bat)$/i, "");
}

/**
 * The one-paragraph error for a tool that is not on the machine: what is needed, for what,
 * and how to get it. `command` is what was run (a path or a name).
 */
export function missingToolError(command: string, cause?: unknown): ProvisionError {
  const name = commandName(command);
  const known = (PREREQUISITES as Record<string, (typeof PREREQUISITES)[keyof typeof PREREQUISITES]>)[name];
  const message = known
    ? `${known.what} is needed ${known.why}, and \`${name}\` was not found: ${known.how}.`
    : `\`${command}\` is needed and was not found on PATH.`;
  return new ProvisionError(message, cause === undefined ? undefined : { cause });
}

/** Where a download of a provisioning step comes from, for the no-network hint. */
export type DownloadSource =
  | "the Go module proxy"
  | "Maven Central"
  | "the Python package index"
  | "Debian's mirrors";

/** Output of a failed download that means the network, not the package, is the problem. */
const networkFailure =
  /dial tcp|no such host|could not resolve|temporary failure in name resolution|network is unreachable|connection refused|connection timed out|i\/o timeout|tls handshake timeout|unknownhostexception|could not transfer artifact|failed to establish a new connection|max retries exceeded|proxyerror|unable to connect|failed to fetch/i;

/**
 * The first paragraph of a failed download's error when its output says the network is the
 * problem (no route, no DNS, a refused or timed-out connection), else undefined.
 */
export function networkHint(output: string, source: DownloadSource): string | undefined {
  if (!networkFailure.test(output)) return undefined;
  const settings: Record<DownloadSource, string> = {
    "the Go module proxy": "GOPROXY, HTTPS_PROXY",
    "Maven Central": "the mirrors and proxies of ~/.m2/settings.xml",
    "the Python package index": "PIP_INDEX_URL, HTTPS_PROXY",
    "Debian's mirrors": "/etc/apt/sources.list(.d), Acquire::http::Proxy",
  };
  return (
    `This step downloads from ${source} and could not reach it. Check the network and the proxy ` +
    `settings (${settings[source]}), or run it once on a machine that can and copy the cache folder ` +
    "(LANGTIAN_CACHE_DIR) over."
  );
}

/** Parses the major version out of `java -version`'s output (`"17.0.9"`, `"1.8.0_392"`, `"21"`). */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  // Java 8 and older call themselves 1.x.
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}
