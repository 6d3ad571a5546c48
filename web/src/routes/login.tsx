import { createFileRoute, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";

export const Route = createFileRoute("/login")({
  validateSearch: (search: Record<string, unknown>): { redirect: string } => ({
    redirect: typeof search.redirect === "string" && search.redirect.startsWith("/") ? search.redirect : "/",
  }),
  component: LoginPage,
});

function LoginPage() {
  const { auth } = Route.useRouteContext();
  const { redirect } = Route.useSearch();
  const navigate = useNavigate();
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await auth.login(key);
      await navigate({ to: redirect });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">Langtian EDA</h1>
        <p>Log in with an API key: a viewer key to look, an operator key to drain, replay and configure.</p>
        <label htmlFor="login-key">API key</label>
        <input
          id="login-key"
          type="password"
          autoComplete="current-password"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          required
          // biome-ignore lint/a11y/noAutofocus: the login page has one field; typing the key is all there is to do
          autoFocus
          aria-invalid={error !== undefined}
          aria-describedby={error === undefined ? undefined : "login-error"}
        />
        {error === undefined ? null : (
          <div id="login-error" className="field-error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" className="primary" disabled={busy || key === ""}>
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
