import type { ConnectRouter } from "@connectrpc/connect";
import { createRouterTransport } from "@connectrpc/connect";
import { addStaticKeyToTransport } from "@connectrpc/connect-query";
import { createMemoryHistory } from "@tanstack/react-router";
import { render } from "@testing-library/react";
import type { Auth, AuthState } from "../api/auth.ts";
import type { Role, Session } from "../api/session.ts";
import { unauthenticatedInterceptor } from "../api/transport.ts";
import { App } from "../app.tsx";
import type { OfflineCache } from "../offline/offline-cache.ts";
import { createAppRouter, createQueryClient, loginAgain, type RouterContext } from "../router.tsx";

/** A login that is always `name` with `role` (or nobody), for component tests. */
export function fakeAuth(user: Session | undefined, offline = false): Auth {
  let state: AuthState = { user, offline };
  const listeners = new Set<() => void>();
  const set = (next: AuthState) => {
    state = next;
    for (const l of listeners) l();
  };
  return {
    ensure: async () => state,
    current: () => state,
    login: async () => {
      const next = { name: "tester", role: "viewer" as const };
      set({ user: next, offline: false });
      return next;
    },
    logout: async () => set({ user: undefined, offline: false }),
    expired: () => set({ user: undefined, offline: false }),
    reachable: (reachable) => set({ user: state.user, offline: !reachable }),
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

/**
 * Renders the whole UI at `path` over an in-memory Connect router: `routes` implements the
 * services a test needs (AdminService, QueryService), exactly as a server would.
 */
export function renderApp(
  path: string,
  routes: (router: ConnectRouter) => void,
  options: { role?: Role; auth?: Auth; offlineCache?: OfflineCache } = {},
) {
  const auth = options.auth ?? fakeAuth({ name: "tester", role: options.role ?? "viewer" });
  // The app's own interceptor: a call refused as unauthenticated goes to the login, as in the app.
  const interceptors = [unauthenticatedInterceptor(() => loginAgain(auth, router))];
  const transport = addStaticKeyToTransport(
    createRouterTransport(routes, { transport: { interceptors } }),
    "admin",
  );
  const context: RouterContext = {
    transport,
    queryClient: createQueryClient(),
    auth,
    offlineCache: options.offlineCache,
  };
  const router = createAppRouter(context, createMemoryHistory({ initialEntries: [path] }));
  const view = render(<App router={router} context={context} />);
  return { ...view, router, context };
}
