import { after, before } from "node:test";
import { launchBrowser, login, type UiBrowser, type UiPage } from "./browser.ts";
import { startUiPlatform, type UiPlatform, type UiPlatformOptions } from "./ui-platform.ts";

/** Options of {@link uiTestContext}: the platform's, and what the test file starts beside it. */
export interface UiTestContextOptions extends UiPlatformOptions {
  /** Runs in `before` once the platform is up, before the browser is launched (e.g. a service of the test's own). */
  readonly setUp?: (platform: UiPlatform) => Promise<void>;
  /** Runs first in `after`, before the browser and the platform stop (what `setUp` started). */
  readonly tearDown?: () => Promise<void>;
}

/** The platform and browser of a `describe` block, set up by {@link uiTestContext}. */
export interface UiTestContext {
  /** The running platform (inside the tests; throws before `before` ran). */
  readonly platform: UiPlatform;
  /** The launched browser (inside the tests; throws before `before` ran). */
  readonly browser: UiBrowser;
  /** A fresh page logged in with `key`, at `path`: {@link openLoggedIn} on this context. */
  open(key: string, path?: string): Promise<UiPage>;
}

/**
 * Registers the node:test hooks every browser test file needs, inside its `describe`: `before`
 * starts the platform (then `setUp`) and launches Chromium; `after` runs `tearDown`, closes the
 * browser and stops the platform. Returns accessors to use inside the tests.
 */
export function uiTestContext(options: UiTestContextOptions = {}): UiTestContext {
  const { setUp, tearDown, ...platformOptions } = options;
  let platform: UiPlatform | undefined;
  let browser: UiBrowser | undefined;
  before(async () => {
    platform = await startUiPlatform(platformOptions);
    await setUp?.(platform);
    browser = await launchBrowser();
  });
  after(async () => {
    await tearDown?.();
    await browser?.close();
    await platform?.stop();
  });
  const context: UiTestContext = {
    get platform() {
      if (platform === undefined)
        throw new Error("uiTestContext: the platform is not started (use it inside a test)");
      return platform;
    },
    get browser() {
      if (browser === undefined)
        throw new Error("uiTestContext: the browser is not launched (use it inside a test)");
      return browser;
    },
    open: (key, path) => openLoggedIn(context.browser, context.platform, key, path),
  };
  return context;
}

/**
 * Opens a fresh page on the platform's admin, logs it in with `key` (see {@link login}) and goes
 * to `path`; without `path` the page stays where the login left it (the home page).
 */
export async function openLoggedIn(
  browser: UiBrowser,
  platform: UiPlatform,
  key: string,
  path?: string,
): Promise<UiPage> {
  const ui = await browser.newPage({ baseUrl: platform.adminUrl });
  await ui.page.goto("/");
  await login(ui.page, key);
  if (path !== undefined) await ui.page.goto(path);
  return ui;
}
