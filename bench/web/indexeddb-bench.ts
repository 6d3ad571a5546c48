/**
 * IndexedDB benchmark of the web UI's Diagnostics stress test, in a real browser: Debian's
 * Chromium (headless, a persistent profile on disk like WebView2's user data folder, not an
 * in-memory incognito one) opens a page served from http://127.0.0.1 (IndexedDB is denied on
 * about:blank) that loads web/src/diagnostics/indexeddb-stress.ts itself (types stripped, no
 * bundling), and runs it: write N records in a few large relaxed transactions, the naive loop
 * of 1,000-record transactions each `put` awaited (the limit beside it, same run), getAll, an
 * index range query, close and reopen; then the page is reloaded and the records counted again.
 * Beside them the module's chunked variant (1,000 records per IndexedDB value).
 * Each run is one page; the figures are the median of the runs.
 *
 *   node bench/web/indexeddb-bench.ts [count=100000] [runs=3]
 *
 * Goals: write 100k ≤ 2 s, read back ≤ 0.5 s, ≥ 2× the naive loop's rate.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { stripTypeScriptTypes } from "node:module";
import { loadavg } from "node:os";
import { provisionChromium } from "@langtian/provision";
import { tempDir } from "@langtian/testing";
import { chromium } from "playwright-core";

const count = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 3);
const STRESS_MODULE = new URL("../../web/src/diagnostics/indexeddb-stress.ts", import.meta.url);

// The very module the Diagnostics page runs, served as JavaScript.
const stressJs = stripTypeScriptTypes(readFileSync(STRESS_MODULE, "utf8"));
const page = `<!doctype html><meta charset="utf-8"><title>IndexedDB bench</title>
<script type="module">
import * as stress from "/indexeddb-stress.js";
window.stress = stress;
document.title = "ready";
</script>`;
const server = createServer((req, res) => {
  if (req.url === "/indexeddb-stress.js") {
    res.writeHead(200, { "content-type": "text/javascript" }).end(stressJs);
  } else if (req.url === "/") {
    res.writeHead(200, { "content-type": "text/html" }).end(page);
  } else res.writeHead(404).end();
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const address = server.address();
if (address === null || typeof address === "string") throw new Error("no address");
const origin = `http://127.0.0.1:${address.port}`;

interface StepTiming {
  ms: number;
  records: number;
  transactions: number;
}
interface StressResult {
  count: number;
  write: StepTiming;
  naiveWrite: StepTiming;
  readAll: StepTiming;
  rangeQuery: StepTiming;
  reopen: StepTiming;
  chunked: { write: StepTiming; readAll: StepTiming; rangeQuery: StepTiming };
  speedup: number;
}

const loadStart = loadavg();
const executablePath = await provisionChromium();
const profile = tempDir("indexeddb-bench-profile");
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
});
const results: (StressResult & { afterReload: StepTiming; storageUsageBytes: number | undefined })[] = [];
try {
  for (let run = 0; run < runs; run++) {
    const tab = await context.newPage();
    await tab.goto(origin);
    await tab.waitForFunction('document.title === "ready"');
    // Expressions as strings: this file is compiled without DOM types.
    const result = (await tab.evaluate(
      `window.stress.runIndexedDbStress({ count: ${count} })`,
    )) as StressResult;
    const storageUsageBytes = ((await tab.evaluate("navigator.storage.estimate()")) as { usage?: number })
      .usage;
    // What "Reload and check" does on the page: the records are still there after a reload.
    await tab.reload();
    await tab.waitForFunction('document.title === "ready"');
    const afterReload = (await tab.evaluate("window.stress.reopenCheck()")) as StepTiming;
    if (afterReload.records !== count)
      throw new Error(`after the reload ${afterReload.records} of ${count} records`);
    results.push({ ...result, afterReload, storageUsageBytes });
    process.stderr.write(
      `run ${run + 1}/${runs}: write ${result.write.ms.toFixed(0)} ms, naive ${result.naiveWrite.ms.toFixed(0)} ms, getAll ${result.readAll.ms.toFixed(0)} ms\n`,
    );
    await tab.close();
  }
} finally {
  await context.close();
  server.close();
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const pick = (f: (r: (typeof results)[number]) => number) => round(median(results.map(f)));
const writeMs = pick((r) => r.write.ms);
const naiveWriteMs = pick((r) => r.naiveWrite.ms);
const readAllMs = pick((r) => r.readAll.ms);
const ratio = round(median(results.map((r) => r.speedup)), 2);

console.log(
  JSON.stringify(
    {
      bench: "web-indexeddb",
      browser: `${chromium.name()} ${executablePath}`,
      count,
      runs,
      loadAverage: { start: loadStart.map((l) => round(l, 2)), end: loadavg().map((l) => round(l, 2)) },
      median: {
        writeMs,
        writeRecordsPerSecond: Math.round(count / (writeMs / 1000)),
        writeTransactions: results[0]?.write.transactions,
        readAllMs,
        rangeQueryMs: pick((r) => r.rangeQuery.ms),
        rangeQueryRecords: results[0]?.rangeQuery.records,
        reopenMs: pick((r) => r.reopen.ms),
        reopenAfterReloadMs: pick((r) => r.afterReload.ms),
        storageUsageBytes: results.at(-1)?.storageUsageBytes,
      },
      chunked: {
        recordsPerValue: 1000,
        writeMs: pick((r) => r.chunked.write.ms),
        readAllMs: pick((r) => r.chunked.readAll.ms),
        rangeQueryMs: pick((r) => r.chunked.rangeQuery.ms),
        ratioToNaive: round(median(results.map((r) => r.naiveWrite.ms / r.chunked.write.ms)), 2),
      },
      naive: {
        writeMs: naiveWriteMs,
        writeRecordsPerSecond: Math.round(count / (naiveWriteMs / 1000)),
        writeTransactions: results[0]?.naiveWrite.transactions,
      },
      ratio,
      goals: {
        write: { limitMs: 2000, met: writeMs <= 2000 },
        readAll: { limitMs: 500, met: readAllMs <= 500 },
        ratio: { min: 2, met: ratio >= 2 },
        chunked: {
          met:
            median(results.map((r) => r.chunked.write.ms)) <= 2000 &&
            median(results.map((r) => r.chunked.readAll.ms)) <= 500,
        },
      },
      each: results.map((r) => ({
        writeMs: round(r.write.ms),
        naiveWriteMs: round(r.naiveWrite.ms),
        readAllMs: round(r.readAll.ms),
        rangeQueryMs: round(r.rangeQuery.ms),
        reopenMs: round(r.reopen.ms),
        afterReloadMs: round(r.afterReload.ms),
        ratio: round(r.speedup, 2),
        chunkedWriteMs: round(r.chunked.write.ms),
        chunkedReadAllMs: round(r.chunked.readAll.ms),
      })),
    },
    null,
    2,
  ),
);
