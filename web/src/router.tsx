import type { Transport } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { QueryClient } from "@tanstack/react-query";
import { createRouter as createTanStackRouter, type RouterHistory } from "@tanstack/react-router";
import type { Auth } from "./api/auth.ts";
import type { OfflineCache } from "./offline/offline-cache.ts";
import { routeTree } from "./routeTree.gen.ts";

/** What every route can use: the API transport, the query client, the login, the offline cache. */
export interface RouterContext {
  readonly transport: Transport;
  readonly queryClient: QueryClient;
  readonly auth: Auth;
  /** Undefined where IndexedDB is not available (the UI then works without it). */
  readonly offlineCache: OfflineCache | undefined;
}

/**
 * A query client tuned for an operations UI: a failed call is retried once, quickly, but never
 * one refused as unauthenticated (the transport sends the user to the login instead).
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (failures, error) =>
          failures < 1 && !(error instanceof ConnectError && error.code === Code.Unauthenticated),
        retryDelay: 500,
        staleTime: 5_000,
        refetchOnWindowFocus: false,
      },
    },
  });
}

/**
 * The UI's router. Tests pass their own transport (an in-memory Connect router) and history;
 * the app passes the admin's.
 */
export function createAppRouter(context: RouterContext, history?: RouterHistory) {
  return createTanStackRouter({
    routeTree,
    context,
    ...(history === undefined ? {} : { history }),
    defaultPreload: "intent",
    // Loaders prefetch into the query client; its staleness rules, not the router's, decide refetches.
    defaultPreloadStaleTime: 0,
    scrollRestoration: true,
  });
}

/** The UI's router. */
export type AppRouter = ReturnType<typeof createAppRouter>;

/**
 * What a call refused as unauthenticated (the session expired, the key was revoked) does:
 * forget the session and go to the login, which comes back here afterwards.
 */
export function loginAgain(auth: Auth, router: AppRouter): void {
  auth.expired();
  const { pathname, searchStr } = router.state.location;
  if (pathname !== "/login")
    void router.navigate({ to: "/login", search: { redirect: `${pathname}${searchStr}` } });
}

declare module "@tanstack/react-router" {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
