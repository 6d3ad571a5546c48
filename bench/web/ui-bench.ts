/**
 * Web UI benchmark, three figures:
 * - initial JavaScript: what web/dist/index.html loads before any route (its module script and
 *   modulepreload links), gzipped (level 9), against the 300 kB budget;
 * - first paint of the Events page with the API warm: a real lake (events written by the real
 *   pipeline), query API and admin serving the built UI (web/e2e/harness); the Events page is
 *   opened once to warm the services, then `runs` times in a fresh browser context (empty
 *   HTTP and offline caches, a session cookie only): first contentful paint and the first grid
 *   row, both from the navigation's start;
 * - scrolling the Events grid holding every row of the lake (loaded page by page as the grid
 *   nears its end, timed too), then top to bottom in `scrollSeconds`: frame time p50/p95/max
 *   from requestAnimationFrame deltas. Beside it the same scroll of the Diagnostics page's
 *   synthetic grid of as many rows (no API: the grid alone).
 *
 *   npm run build -w web && node bench/web/ui-bench.ts [events=100000] [runs=5] [scrollSeconds=5]
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { launchBrowser, login, startUiPlatform, WEB_DIST } from "@langtian/web/e2e/harness/index.ts";
import type { Page } from "playwright-core";

const events = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 5);
const scrollSeconds = Number(process.argv[4] ?? 5);
const BUDGET_BYTES = 300_000;

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

// 1. Initial JavaScript.
const html = readFileSync(join(WEB_DIST, "index.html"), "utf8");
const scripts = [
  ...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g),
  ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g),
].map((m) => m[1] ?? "");
const styles = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1] ?? "");
const sizeOf = (files: string[]) => {
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(join(WEB_DIST, file.replace(/^\//, "")));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { files: files.length, rawBytes: raw, gzipBytes: gzip };
};
const initialJs = sizeOf(scripts);
const initialCss = sizeOf(styles);
log(`initial JS: ${scripts.length} files, ${round(initialJs.gzipBytes / 1000)} kB gzip`);

/** Frame times while scrolling, as the page measures them. */
interface ScrollFigures {
  frames: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  rows: number;
}

/**
 * In the page (a string: this file is compiled without DOM types): scrolls the scroll box at
 * `selector` (the element itself or the .vtable-body inside it) from top to bottom in `ms`,
 * one step per animation frame, and resolves the rAF deltas' quantiles and the grid's rows.
 */
const MEASURE_SCROLL = `({ selector, ms }) => new Promise((resolve, reject) => {
  const found = document.querySelector(selector);
  const body = found?.classList.contains("vtable-body") ? found : found?.querySelector(".vtable-body");
  if (!body) return reject(new Error("no scroll box at " + selector));
  const rows = Number(body.closest("[role=grid]")?.getAttribute("aria-rowcount") ?? 1) - 1;
  body.scrollTop = 0;
  const deltas = [];
  let first;
  let last;
  const frame = (now) => {
    first ??= now;
    if (last !== undefined) deltas.push(now - last);
    last = now;
    const progress = Math.min(1, (now - first) / ms);
    body.scrollTop = progress * (body.scrollHeight - body.clientHeight);
    if (progress < 1) return requestAnimationFrame(frame);
    const sorted = [...deltas].sort((a, b) => a - b);
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    resolve({ frames: deltas.length, p50Ms: q(0.5), p95Ms: q(0.95), maxMs: sorted.at(-1) ?? 0, rows });
  };
  requestAnimationFrame(frame);
})`;

async function measureScroll(page: Page, selector: string, ms: number): Promise<ScrollFigures> {
  return (await page.evaluate(`(${MEASURE_SCROLL})(${JSON.stringify({ selector, ms })})`)) as ScrollFigures;
}

const loadStart = loadavg();
let started = performance.now();
log(`starting the platform with ${events} events`);
const platform = await startUiPlatform({ events });
const platformMs = performance.now() - started;
log(`platform ready in ${round(platformMs / 1000)} s`);
const browser = await launchBrowser();
const grid = '[data-testid="events-grid"]';
try {
  // 2. First paint with the API warm.
  const warm = await browser.newPage({ baseUrl: platform.adminUrl });
  await warm.page.goto("/");
  await login(warm.page, platform.viewerKey);
  await warm.page.goto("/events");
  await warm.page.locator(`${grid} [role=row]`).first().waitFor({ timeout: 60_000 });
  await warm.close();
  const paints: { fcpMs: number; firstRowMs: number }[] = [];
  for (let run = 0; run < runs; run++) {
    const ui = await browser.newPage({ baseUrl: platform.adminUrl });
    const res = await ui.context.request.post(`${platform.adminUrl}/v1/session`, {
      data: { key: platform.viewerKey },
    });
    if (!res.ok()) throw new Error(`login refused: ${res.status()}`);
    await ui.page.goto("/events");
    await ui.page.locator(`${grid} [role=row]`).first().waitFor({ timeout: 60_000 });
    const firstRowMs = Number(await ui.page.evaluate("performance.now()"));
    const fcpMs = Number(
      await ui.page.evaluate(`performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN`),
    );
    paints.push({ fcpMs, firstRowMs });
    log(`first paint run ${run + 1}: FCP ${round(fcpMs)} ms, first row ${round(firstRowMs)} ms`);
    await ui.close();
  }

  // 3. Every row into the Events grid, then a scroll through them.
  const ui = await browser.newPage({ baseUrl: platform.adminUrl });
  await ui.page.goto("/");
  await login(ui.page, platform.viewerKey);
  await ui.page.goto("/events");
  await ui.page.locator(`${grid} [role=row]`).first().waitFor({ timeout: 60_000 });
  started = performance.now();
  const rowCount = async () =>
    Number(
      await ui.page.evaluate(
        `Number(document.querySelector(${JSON.stringify(grid)})?.closest("[role=grid]")?.getAttribute("aria-rowcount") ?? 1) - 1`,
      ),
    );
  let loaded = await rowCount();
  const deadline = Date.now() + 300_000;
  while (loaded < events && Date.now() < deadline) {
    await ui.page.evaluate(
      `{ const body = document.querySelector(${JSON.stringify(grid)}); if (body) body.scrollTop = body.scrollHeight; }`,
    );
    await ui.page.waitForTimeout(50);
    loaded = await rowCount();
  }
  const loadAllMs = performance.now() - started;
  log(`events grid: ${loaded} rows loaded in ${round(loadAllMs / 1000)} s`);
  const eventsScroll = await measureScroll(ui.page, grid, scrollSeconds * 1000);
  log(`events grid scroll: p95 ${round(eventsScroll.p95Ms)} ms`);
  await ui.close();

  const synthetic = await browser.newPage({ baseUrl: platform.adminUrl });
  await synthetic.page.goto("/");
  await login(synthetic.page, platform.viewerKey);
  await synthetic.page.goto(`/diagnostics?grid=${events}`);
  await synthetic.page.locator('[data-testid="diagnostics-grid"] [role=row]').nth(1).waitFor();
  const syntheticScroll = await measureScroll(
    synthetic.page,
    '[data-testid="diagnostics-grid"]',
    scrollSeconds * 1000,
  );
  await synthetic.close();

  console.log(
    JSON.stringify(
      {
        bench: "web-ui",
        events,
        runs,
        loadAverage: { start: loadStart.map((l) => round(l, 2)), end: loadavg().map((l) => round(l, 2)) },
        initialJs: {
          ...initialJs,
          gzipKb: round(initialJs.gzipBytes / 1000),
          budgetKb: BUDGET_BYTES / 1000,
          ratioToBudget: round(initialJs.gzipBytes / BUDGET_BYTES, 2),
          met: initialJs.gzipBytes <= BUDGET_BYTES,
        },
        initialCss: { ...initialCss, gzipKb: round(initialCss.gzipBytes / 1000) },
        platformStartMs: round(platformMs),
        eventsFirstPaint: {
          fcpMsMedian: round(median(paints.map((p) => p.fcpMs))),
          firstRowMsMedian: round(median(paints.map((p) => p.firstRowMs))),
          each: paints.map((p) => ({ fcpMs: round(p.fcpMs), firstRowMs: round(p.firstRowMs) })),
        },
        eventsGrid: {
          rowsLoaded: loaded,
          loadAllMs: round(loadAllMs),
          scroll: {
            ...eventsScroll,
            p50Ms: round(eventsScroll.p50Ms),
            p95Ms: round(eventsScroll.p95Ms),
            maxMs: round(eventsScroll.maxMs),
          },
        },
        syntheticGrid: {
          scroll: {
            ...syntheticScroll,
            p50Ms: round(syntheticScroll.p50Ms),
            p95Ms: round(syntheticScroll.p95Ms),
            maxMs: round(syntheticScroll.maxMs),
          },
        },
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  await platform.stop();
}
