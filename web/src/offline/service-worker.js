// The app shell's service worker: with it, the UI still opens (and shows its offline cache,
// marked stale) when the admin serving it is down. The build (build/service-worker-plugin.ts)
// prepends `const SHELL = {version, files}`: every file of that build, so every route's code is
// at hand offline, not only the pages visited. Plain JavaScript: it is copied, not bundled.
/* global SHELL */
const CACHE = `langtian-shell-${SHELL.version}`;
// The API and the service endpoints are never cached here (the offline cache keeps API answers).
const NOT_SHELL = /^\/(langtian\.[a-z0-9_.]+\/|v1\/|healthz$|readyz$|metrics$)/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      // The public files (config.json, the icon) are not in the bundle's list.
      // One by one, not addAll: one file that cannot be fetched (a release replaced while this
      // installs) must not cost the whole shell; a missing asset is fetched when first used.
      .then((cache) =>
        Promise.allSettled(
          ["/", "/config.json", "/favicon.svg", ...SHELL.files.map((f) => `/${f}`)].map((url) =>
            cache.add(url),
          ),
        ),
      )
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((k) => k.startsWith("langtian-shell-") && k !== CACHE).map((k) => caches.delete(k)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || NOT_SHELL.test(url.pathname)) return;
  if (url.pathname.startsWith("/assets/")) {
    // Content-hashed: a cached copy is always right.
    event.respondWith(caches.match(request).then((hit) => hit ?? fetch(request)));
    return;
  }
  // index.html (every route of the app), config.json, icons: the network first, so a new
  // release and a changed config are seen at once; the cached copy when the admin is away.
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && request.mode !== "navigate") {
          const copy = response.clone();
          void caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(async () => {
        const cache = await caches.open(CACHE);
        const hit = request.mode === "navigate" ? await cache.match("/") : await cache.match(request);
        return hit ?? Response.error();
      }),
  );
});
