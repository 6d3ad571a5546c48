/**
 * Where the UI finds the admin API. Served by the admin itself, the API is on the page's own
 * origin. Inside the Windows WebView2 shell the UI is a local folder mapped to a virtual host
 * (`https://langtian.localhost`), and the `config.json` beside `index.html` names the admin:
 * `{"apiBaseUrl": "http://127.0.0.1:4105"}`. The build ships `{}` (the page's own origin); an
 * installer writes the real one.
 */
export interface ApiConfig {
  /** Base URL of the admin API, without a trailing slash. */
  readonly apiBaseUrl: string;
  /** True when the API is on another origin: sessions then use a bearer key, not the cookie. */
  readonly crossOrigin: boolean;
}

/** Reads `config.json` beside the page, if any; falls back to the page's own origin. */
export async function loadApiConfig(
  location: Pick<Location, "origin" | "href"> = window.location,
  fetchFn: typeof fetch = fetch,
): Promise<ApiConfig> {
  let configured: string | undefined;
  try {
    const response = await fetchFn(new URL("/config.json", location.href), { cache: "no-cache" });
    if (response.ok && (response.headers.get("content-type") ?? "").includes("json")) {
      const body = (await response.json()) as { apiBaseUrl?: unknown };
      if (typeof body.apiBaseUrl === "string" && body.apiBaseUrl !== "") configured = body.apiBaseUrl;
    }
  } catch {
    // No config.json (or the admin is away): the page's own origin.
  }
  return apiConfigFor(configured, location.origin);
}

/** The configuration for an optional configured base URL and the page's origin. */
export function apiConfigFor(configured: string | undefined, pageOrigin: string): ApiConfig {
  if (configured === undefined) return { apiBaseUrl: pageOrigin, crossOrigin: false };
  const url = new URL(configured);
  return {
    apiBaseUrl: url.href.replace(/\/+$/, ""),
    crossOrigin: url.origin !== pageOrigin,
  };
}
