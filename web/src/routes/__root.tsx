import { createRootRouteWithContext, Link, Outlet, redirect, useNavigate } from "@tanstack/react-router";
import { useEffect, useState, useSyncExternalStore } from "react";
import type { RouterContext } from "../router.tsx";
import { NAV_ITEMS } from "../ui/nav-items.ts";
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
  const { auth } = Route.useRouteContext();
  const state = useSyncExternalStore(auth.subscribe, auth.current);
  const navigate = useNavigate();
  useShortcuts((to) => void navigate({ to }));
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
          <button
            type="button"
            onClick={() =>
              void auth.logout().then(() => navigate({ to: "/login", search: { redirect: "/" } }))
            }
          >
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
