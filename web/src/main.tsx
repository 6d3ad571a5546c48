import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { loadApiConfig } from "./api/api-config.ts";
import { createAuth } from "./api/auth.ts";
import { createSessionClient } from "./api/session.ts";
import { createApiTransport } from "./api/transport.ts";
import { App } from "./app.tsx";
import { type OfflineCache, openOfflineCache } from "./offline/offline-cache.ts";
import { createAppRouter, createQueryClient, loginAgain, type RouterContext } from "./router.tsx";
import { applyTheme, storedTheme } from "./ui/theme.ts";
import "./ui/styles.css";

applyTheme(storedTheme());
const config = await loadApiConfig();
const sessionClient = createSessionClient(config);
const auth = createAuth(sessionClient);
const queryClient = createQueryClient();
// The offline cache first: pages open from it at once, before the API answers (or while it cannot).
const offlineCache: OfflineCache | undefined = await openOfflineCache().catch(() => undefined);
if (offlineCache !== undefined) {
  await offlineCache.restore(queryClient).catch(() => 0);
  offlineCache.attach(queryClient);
}
// The app shell, so a reload still opens the UI while the admin serving it is down. Not in
// development (Vite serves modules there) and not where service workers are unavailable.
if (import.meta.env.PROD && "serviceWorker" in navigator) {
  void navigator.serviceWorker.register("/sw.js").catch(() => undefined);
}
// Ask the browser to keep the cache under storage pressure; Diagnostics shows its answer.
void navigator.storage?.persist?.().catch(() => false);
const context: RouterContext = {
  transport: createApiTransport(config, sessionClient, {
    // A call refused as unauthenticated (the session expired): back to the login, then here again.
    onUnauthenticated: () => loginAgain(auth, router),
    onReachable: (reachable) => auth.reachable(reachable),
  }),
  queryClient,
  auth,
  offlineCache,
};
const router = createAppRouter(context);
const root = document.getElementById("app");
if (root === null) throw new Error("index.html has no #app element");
createRoot(root).render(
  <StrictMode>
    <App router={router} context={context} />
  </StrictMode>,
);
