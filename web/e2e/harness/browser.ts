import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { provisionChromium } from "@langtian/provision";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Size of every page: a common laptop screen, so screenshots compare across runs. */
export const VIEWPORT = { width: 1366, height: 768 } as const;

/**
 * Where {@link screenshot} writes: `LANGTIAN_E2E_ARTIFACTS`, else `web/e2e/artifacts/`
 * (git-ignored). Kept after the run, to look at.
 */
export const ARTIFACTS_DIR =
  process.env.LANGTIAN_E2E_ARTIFACTS ?? resolve(import.meta.dirname, "..", "artifacts");

/**
 * Browser errors every page tolerates (Chromium logs every refused fetch as a console error):
 * a 401 from `GET /v1/session` means "show the login".
 */
export const EXPECTED_ERRORS: readonly RegExp[] = [/status of 401 .*\/v1\/session\)$/];

/** A launched headless Chromium (Debian's, see `provisionChromium`). */
export interface UiBrowser {
  readonly browser: Browser;
  /** A fresh page (own cookies) watching for browser errors; see {@link UiPage}. */
  newPage(options?: NewPageOptions): Promise<UiPage>;
  /** Closes every page and the browser. */
  close(): Promise<void>;
}

/** Options of {@link UiBrowser.newPage}. */
export interface NewPageOptions {
  /** Base URL that relative `page.goto("/events")` calls resolve against (the admin's URL). */
  readonly baseUrl?: string;
  /** Errors this page expects (matched against the error's text and URL), besides {@link EXPECTED_ERRORS}. */
  readonly allowErrors?: readonly RegExp[];
}

/** A page and the browser errors seen on it. */
export interface UiPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Every console error and uncaught page error so far, as `console: <text> (<url>)` / `pageerror: <message>`. */
  errors(): readonly string[];
  /** The errors not matched by an allowed pattern. */
  unexpectedErrors(): readonly string[];
  /** Tolerates errors matching these from now on (e.g. connection refused while the admin is stopped). */
  allowErrors(...patterns: RegExp[]): void;
  /** Throws, listing them, when the page saw unexpected errors. */
  assertNoErrors(): void;
  /** Closes the page's context, then does {@link UiPage.assertNoErrors}: a test fails on any browser error. */
  close(): Promise<void>;
}

/** Error thrown when a page saw browser errors it did not expect. */
export class BrowserErrorsError extends Error {
  override name = "BrowserErrorsError";
}

/**
 * Launches headless Chromium (the distribution's, provisioned by `provisionChromium`; never a
 * downloaded browser). Close it in `after`.
 */
export async function launchBrowser(): Promise<UiBrowser> {
  const browser = await chromium.launch({
    executablePath: await provisionChromium(),
    headless: true,
    args: [
      // As root (CI containers) Chromium's sandbox cannot start; the tests load only our UI.
      "--no-sandbox",
      // Containers often have a tiny /dev/shm; Chromium then crashes on large pages.
      "--disable-dev-shm-usage",
      "--disable-gpu",
    ],
  });
  const pages: UiPage[] = [];
  return {
    browser,
    newPage: async (options = {}) => {
      const page = await newUiPage(browser, options);
      pages.push(page);
      return page;
    },
    close: async () => {
      for (const page of pages) await page.context.close().catch(() => undefined);
      await browser.close();
    },
  };
}

async function newUiPage(browser: Browser, options: NewPageOptions): Promise<UiPage> {
  const context = await browser.newContext({
    viewport: VIEWPORT,
    ...(options.baseUrl === undefined ? {} : { baseURL: options.baseUrl }),
  });
  // Fail fast: a missing element should not hold a test for the default 30 s.
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const seen: string[] = [];
  const allowed = [...EXPECTED_ERRORS, ...(options.allowErrors ?? [])];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const url = message.location().url;
    seen.push(`console: ${message.text()}${url === "" ? "" : ` (${url})`}`);
  });
  page.on("pageerror", (err) => seen.push(`pageerror: ${err.stack ?? err.message}`));
  const unexpectedErrors = () => seen.filter((error) => !allowed.some((pattern) => pattern.test(error)));
  const assertNoErrors = () => {
    const unexpected = unexpectedErrors();
    if (unexpected.length > 0) {
      throw new BrowserErrorsError(
        `the page saw ${unexpected.length} browser error(s):\n${unexpected.join("\n")}`,
      );
    }
  };
  return {
    page,
    context,
    errors: () => [...seen],
    unexpectedErrors,
    allowErrors: (...patterns) => {
      allowed.push(...patterns);
    },
    assertNoErrors,
    close: async () => {
      await context.close();
      assertNoErrors();
    },
  };
}

/** Who a login made the page: the key's name and role. */
export interface LoggedIn {
  readonly name: string;
  readonly role: string;
}

/**
 * Logs the page in with an admin key (`POST /v1/session` in the page's context, which stores the
 * HttpOnly session cookie) and reloads the page, or opens `baseUrl` when it shows nothing yet.
 * Tests of the login form itself fill the form instead.
 */
export async function login(page: Page, key: string, baseUrl?: string): Promise<LoggedIn> {
  const current = page.url();
  const base = baseUrl ?? (current.startsWith("http") ? new URL(current).origin : undefined);
  if (base === undefined) throw new Error("login: the page shows no admin yet; pass the admin's baseUrl");
  const res = await page.request.post(new URL("/v1/session", base).href, { data: { key } });
  if (!res.ok()) throw new Error(`login refused: ${res.status()} ${await res.text()}`);
  const who = (await res.json()) as LoggedIn;
  if (current.startsWith("http")) await page.reload();
  else await page.goto(base);
  return who;
}

let announced = false;

/** Saves a full-page PNG as `<ARTIFACTS_DIR>/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  if (!announced) {
    announced = true;
    process.stdout.write(`screenshots: ${ARTIFACTS_DIR}\n`);
  }
  const path = join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, "-")}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
