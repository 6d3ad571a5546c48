import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheRoot } from "./cache-root.mjs";
import { goBinary } from "./go-binary.ts";
import { installDir, progress } from "./install-dir.ts";
import { runTool } from "./run-tool.ts";
import { refuseInUnitTier } from "./test-tier.ts";

/**
 * The OpenTelemetry Collector release our build uses (core `otelcol`, `otlpreceiver` and contrib
 * `fileexporter`, all at one release, as tools/otel-collector/go.mod pins them).
 */
export const OTEL_COLLECTOR_VERSION = "v0.161.0";

/** Our Go module that builds the collector (OTLP receiver + file exporter), in the repository. */
export const OTEL_COLLECTOR_MODULE_DIR = fileURLToPath(
  new URL("../../../tools/otel-collector/", import.meta.url),
);

const exe = process.platform === "win32" ? ".exe" : "";
const binaryName = `langtian-otelcol${exe}`;

/**
 * Builds the test OpenTelemetry Collector (tools/otel-collector: the OTLP receiver over gRPC
 * and HTTP, and the file exporter writing each export request as one OTLP JSON line) into
 * `<cacheRoot>/otelcol/<version>-<hash>/` once (lock + atomic rename) and returns its path.
 * The hash covers the module's go.mod, go.sum and main.go, so any change to them builds anew.
 * About 850 Go packages: 216 s of CPU with an empty Go build cache (about two minutes on two
 * idle cores), 75 s with the cache other Go builds here leave.
 */
export async function provisionOtelCollector(): Promise<string> {
  refuseInUnitTier("provisioning the OpenTelemetry Collector");
  const dir = join(cacheRoot(), "otelcol", `${OTEL_COLLECTOR_VERSION}-${moduleHash()}`);
  await installDir({
    label: `otel-collector ${OTEL_COLLECTOR_VERSION}`,
    dir,
    build: async (staging) => {
      const started = performance.now();
      progress(`otel-collector: go build ${OTEL_COLLECTOR_MODULE_DIR}`);
      // As for SeaweedFS: -ldflags=-s -w (no symbols or DWARF: a shorter link, a smaller binary),
      // -trimpath (no machine paths), CGO_ENABLED=0 (a static binary, no C compiler). GOWORK=off:
      // the module alone decides its dependencies. -mod=mod: go.sum may download what the build
      // needs; -buildvcs=false: the module sits in our git checkout, and the binary needs no stamp
      // of it (nor a git that trusts the checkout).
      await runTool(
        goBinary(),
        ["build", "-trimpath", "-ldflags=-s -w", "-o", join(staging, binaryName), "."],
        {
          cwd: OTEL_COLLECTOR_MODULE_DIR,
          env: {
            ...process.env,
            GOWORK: "off",
            CGO_ENABLED: "0",
            GOFLAGS: "-mod=mod -buildvcs=false",
          },
          downloadsFrom: "the Go module proxy",
        },
      );
      progress(`otel-collector: go build done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    },
  });
  return join(dir, binaryName);
}

/** Twelve hex digits of SHA-256 over the files that decide what the build produces. */
function moduleHash(): string {
  const hash = createHash("sha256");
  for (const file of ["go.mod", "go.sum", "main.go"]) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(OTEL_COLLECTOR_MODULE_DIR, file)));
  }
  return hash.digest("hex").slice(0, 12);
}
