import {
  createRootRouteWithContext,
  Link,
  Outlet,
  redirect,
  useNavigate,
  useRouterState,
} from "@tanstack/react-router";
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { RouterContext } from "../router.tsx";
import { NAV_ITEMS } from "../ui/nav-items.ts";
import { focusPageHeading } from "../ui/page.tsx";
import { ErrorState } from "../ui/query-state.tsx";
import { applyTheme, storedTheme, Theme } from "../ui/theme.ts";

export const Route = createRootRouteWithContext<RouterContext>()({
  // Every page but the login needs a session; offline, the last session seen opens cached pages.
  beforeLoad: async ({ context, location }) => {
    if (location.pathname === "/login") return;
    const state = await context.auth.ensure();
    if (state.user === undefined) throw redirect({ to: "/login", search: { redirect: location.href } });
  },
  component: RootLayout,
  errorComponent: ({ error, reset }) => (
    <main className="main">
      <ErrorState error={error} retry={reset} />
    </main>
  ),
  notFoundComponent: () => (
    <div className="state state-empty" role="status">
      <strong>No such page</strong>
      <Link to="/">Back to the overview</Link>
    </div>
  ),
});

function RootLayout() {
  const { auth, queryClient, offlineCache } = Route.useRouteContext();
  const state = useSyncExternalStore(auth.subscribe, auth.current);
  const navigate = useNavigate();
  const go = useCallback((to: string) => void navigate({ to }), [navigate]);
  useShortcuts(go);
  useReconnect(state.offline);
  useFocusOnPageChange();
  useLoginWhenSessionEnds(state.user === undefined);
  const logOut = async () => {
    // Leave the page first: its polls and streams stop before the session ends under them.
    await navigate({ to: "/login", search: { redirect: "/" } });
    await queryClient.cancelQueries();
    await auth.logout();
    // Nothing of this user stays behind for the next one at this screen (a shared workstation).
    queryClient.clear();
    await offlineCache?.clear().catch(() => undefined);
  };
  if (state.user === undefined) return <Outlet />;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Langtian EDA</div>
        <ul>
          {NAV_ITEMS.map((item) => (
            <li key={item.to}>
              <Link
                to={item.to}
                activeOptions={{ exact: item.to === "/" }}
                activeProps={{ className: "active", "aria-current": "page" }}
                title={`${item.label} (Alt+${item.key})`}
              >
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="content">
        <header className="topbar">
          {state.offline ? (
            <span className="badge badge-warn" role="status" data-testid="offline-badge">
              Offline — showing cached data
            </span>
          ) : null}
          <span className="spacer" />
          <ThemeSwitch />
          <span className="user" data-testid="user">
            {state.user.name} · {state.user.role}
          </span>
          <button type="button" onClick={() => void logOut()}>
            Log out
          </button>
        </header>
        <main id="main" className="main" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}

function ThemeSwitch() {
  const [theme, setTheme] = useState<Theme>(storedTheme);
  return (
    <label className="theme-switch">
      Theme{" "}
      <select
        value={theme}
        onChange={(e) => {
          const next = e.target.value as Theme;
          applyTheme(next);
          setTheme(next);
        }}
      >
        <option value={Theme.system}>System</option>
        <option value={Theme.light}>Light</option>
        <option value={Theme.dark}>Dark</option>
      </select>
    </label>
  );
}

/**
 * While the admin cannot be reached, asks it again every few seconds; once it answers, every
 * query on screen is read again, so the stale marks go without the user doing anything.
 */
function useReconnect(offline: boolean) {
  const { auth, queryClient } = Route.useRouteContext();
  const wasOffline = useRef(offline);
  useEffect(() => {
    if (wasOffline.current && !offline) void queryClient.invalidateQueries();
    wasOffline.current = offline;
    if (!offline) return;
    const timer = setInterval(() => void auth.ensure().catch(() => undefined), RECHECK_OFFLINE_MS);
    return () => clearInterval(timer);
  }, [offline, auth, queryClient]);
}

/** The session ended while a page was open (found on reconnect, say): the login, then back here. */
function useLoginWhenSessionEnds(ended: boolean) {
  const navigate = useNavigate();
  const location = useRouterState({ select: (s) => s.location });
  useEffect(() => {
    if (!ended || location.pathname === "/login") return;
    void navigate({ to: "/login", search: { redirect: `${location.pathname}${location.searchStr}` } });
  }, [ended, location, navigate]);
}

/** How often the UI asks an unreachable admin whether it is back. */
const RECHECK_OFFLINE_MS = 5_000;

/**
 * Moves focus to the new page's heading when the user goes to another page (its first path
 * segment changed), so screen readers announce it; a drawer opening within a page keeps focus.
 */
function useFocusOnPageChange() {
  const page = useRouterState({ select: (s) => s.location.pathname.split("/")[1] ?? "" });
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (page !== "login") focusPageHeading();
  }, [page]);
}

/** Alt+1 … Alt+0 jump to the pages of the sidebar. */
function useShortcuts(go: (to: string) => void) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const item = NAV_ITEMS.find((i) => i.key === e.key);
      if (item === undefined) return;
      e.preventDefault();
      go(item.to);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [go]);
}
