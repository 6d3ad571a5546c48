import { Code, ConnectError } from "@connectrpc/connect";
import type { UseQueryResult } from "@tanstack/react-query";
import { createContext, type ReactNode, useContext, useEffect, useState } from "react";
import { useAuthState } from "../api/use-auth.ts";
import { formatAge } from "./format.ts";

/** A spinner with words, announced politely to screen readers. */
export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** Nothing to show, and why, with what the user can do about it. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      <strong>{title}</strong>
      {children === undefined ? null : <div>{children}</div>}
    </div>
  );
}

/** What went wrong, in words: the Connect code and the server's message. */
export function describeError(error: unknown): { title: string; detail: string } {
  const e = ConnectError.from(error);
  switch (e.code) {
    case Code.Unavailable:
    case Code.Unknown:
      return { title: "The API cannot be reached", detail: e.rawMessage };
    case Code.Unauthenticated:
      return { title: "Not logged in", detail: e.rawMessage };
    case Code.PermissionDenied:
      return { title: "Not allowed", detail: e.rawMessage };
    case Code.InvalidArgument:
      return { title: "Invalid request", detail: e.rawMessage };
    case Code.NotFound:
      return { title: "Not found", detail: e.rawMessage };
    case Code.DeadlineExceeded:
      return { title: "Timed out", detail: e.rawMessage };
    case Code.ResourceExhausted:
      return { title: "Too many requests", detail: e.rawMessage };
    default:
      return { title: `Error (${Code[e.code] ?? e.code})`, detail: e.rawMessage };
  }
}

/** An error with a retry button; an alert for screen readers. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const { title, detail } = describeError(error);
  return (
    <div className="state state-error" role="alert">
      <strong>{title}</strong>
      <div className="state-detail">{detail}</div>
      {retry === undefined ? null : (
        <button type="button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** Re-renders every `ms`, for ages that must keep counting. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** Data shown from the cache while the API is unreachable: clearly marked, with its age. */
export function StaleBanner({ updatedAtMs, error }: { updatedAtMs: number; error?: unknown }) {
  const now = useNow();
  return (
    <div className="stale-banner" role="status" data-testid="stale-banner">
      <strong>Stale</strong> — shown from the offline cache, {formatAge(now - updatedAtMs)} old
      {error === undefined ? null : `: ${describeError(error).title.toLowerCase()}`}
    </div>
  );
}

/** True inside a QueryView that already shows a stale banner: views nested in it do not repeat it. */
const StaleShown = createContext(false);

/**
 * The one way screens show a query: loading, error (with retry), empty, or the data; data kept
 * from an earlier answer (the offline cache, a failed refresh) is shown marked stale, with its
 * age, and so is all data while the admin is unreachable (even data too young to be refetched).
 */
export function QueryView<T>({
  query,
  isEmpty,
  empty,
  loadingLabel,
  children,
}: {
  query: UseQueryResult<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loadingLabel?: string;
  children: (data: T) => ReactNode;
}) {
  const { offline } = useAuthState();
  const outerShown = useContext(StaleShown);
  if (query.data === undefined) {
    if (query.isError) return <ErrorState error={query.error} retry={() => void query.refetch()} />;
    return <Loading {...(loadingLabel === undefined ? {} : { label: loadingLabel })} />;
  }
  const stale = outerShown ? null : query.isError ? (
    <StaleBanner updatedAtMs={query.dataUpdatedAt} error={query.error} />
  ) : offline ? (
    <StaleBanner updatedAtMs={query.dataUpdatedAt} />
  ) : null;
  if (isEmpty?.(query.data))
    return (
      <>
        {stale}
        {empty ?? <EmptyState title="Nothing here yet" />}
      </>
    );
  return (
    <StaleShown.Provider value={outerShown || stale !== null}>
      {stale}
      {children(query.data)}
    </StaleShown.Provider>
  );
}
