import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Plugin } from "vite";

/**
 * Emits `sw.js`: the service worker of src/offline/service-worker.js with the list of every
 * file of this build prepended, and a version derived from it, so each release installs anew,
 * caches its own files and drops the previous release's.
 */
export function serviceWorkerPlugin(source: URL): Plugin {
  return {
    name: "langtian-service-worker",
    apply: "build",
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle)
        .filter((name) => !name.endsWith(".map"))
        .sort();
      const version = createHash("sha256").update(files.join("\n")).digest("hex").slice(0, 12);
      const shell = JSON.stringify({ version, files });
      this.emitFile({
        type: "asset",
        fileName: "sw.js",
        source: `const SHELL = ${shell};\n${readFileSync(source, "utf8")}`,
      });
    },
  };
}
