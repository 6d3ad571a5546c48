/**
 * The browser tests' harness: the platform the UI talks to (real services as child processes)
 * and Debian's Chromium driven by playwright-core, with pages that fail on browser errors.
 */
export {
  ARTIFACTS_DIR,
  BrowserErrorsError,
  EXPECTED_ERRORS,
  type LoggedIn,
  launchBrowser,
  login,
  type NewPageOptions,
  screenshot,
  type UiBrowser,
  type UiPage,
  VIEWPORT,
} from "./browser.ts";
export { waitForOfflineCache } from "./offline-cache.ts";
export {
  deleteStreams,
  startUiPlatform,
  TEST_STREAM_MAX_BYTES,
  type UiBridge,
  type UiPlatform,
  type UiPlatformOptions,
  WEB_DIST,
} from "./ui-platform.ts";
export {
  openLoggedIn,
  type UiTestContext,
  type UiTestContextOptions,
  uiTestContext,
} from "./ui-test-context.ts";
