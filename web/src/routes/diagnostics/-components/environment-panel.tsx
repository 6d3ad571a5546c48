import { useCallback, useEffect, useState } from "react";
import { type ApiConfig, loadApiConfig } from "../../../api/api-config.ts";
import { type StorageStatus, storageStatus } from "../../../diagnostics/indexeddb-stress.ts";
import type { OfflineCache, OfflineCacheUsage } from "../../../offline/offline-cache.ts";
import { formatBytes, formatCount } from "../../../ui/format.ts";

type Loaded<T> = { readonly value: T } | { readonly error: string } | undefined;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Hook: runs `load` once and whenever `reload` is called; keeps the value or the error. */
function useLoaded<T>(load: () => Promise<T>): [Loaded<T>, () => void] {
  const [state, setState] = useState<Loaded<T>>();
  const [version, setVersion] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reload trigger
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && setState({ value }),
      (err: unknown) => live && setState({ error: errorText(err) }),
    );
    return () => {
      live = false;
    };
  }, [load, version]);
  return [state, useCallback(() => setVersion((v) => v + 1), [])];
}

function Value<T>({ loaded, children }: { loaded: Loaded<T>; children: (value: T) => string }) {
  if (loaded === undefined) return <span className="muted">…</span>;
  if ("error" in loaded) return <span className="field-error">{loaded.error}</span>;
  return <>{children(loaded.value)}</>;
}

/** Storage quota and persistence, the offline cache (with a clear button), the API's address. */
export function EnvironmentPanel({ offlineCache }: { offlineCache: OfflineCache | undefined }) {
  const [storage, reloadStorage] = useLoaded<StorageStatus>(useCallback(() => storageStatus(), []));
  const [usage, reloadUsage] = useLoaded<OfflineCacheUsage | undefined>(
    useCallback(async () => offlineCache?.usage(), [offlineCache]),
  );
  const [api] = useLoaded<ApiConfig>(useCallback(() => loadApiConfig(), []));
  const [clearing, setClearing] = useState(false);

  return (
    <section className="panel" aria-labelledby="env-title">
      <h2 id="env-title">Storage and connection</h2>
      <dl className="facts">
        <dt>Storage used / quota</dt>
        <dd data-testid="storage-estimate">
          <Value loaded={storage}>
            {(s) =>
              s.usageBytes === undefined || s.quotaBytes === undefined
                ? "not reported by this browser"
                : `${formatBytes(s.usageBytes)} of ${formatBytes(s.quotaBytes)} (${(
                    (100 * s.usageBytes) / Math.max(1, s.quotaBytes)
                  ).toFixed(2)} %)`
            }
          </Value>
        </dd>
        <dt>Persistent storage</dt>
        <dd data-testid="storage-persisted">
          <Value loaded={storage}>
            {(s) =>
              s.persisted === undefined
                ? "not reported by this browser"
                : s.persisted
                  ? "yes — kept under storage pressure"
                  : "no — the browser may evict this data under storage pressure"
            }
          </Value>
        </dd>
        <dt>Offline cache</dt>
        <dd data-testid="offline-cache-usage">
          {offlineCache === undefined ? (
            "not available (IndexedDB could not be opened)"
          ) : (
            <Value loaded={usage}>
              {(u) =>
                u === undefined
                  ? "—"
                  : `${formatCount(u.entries)} queries, ${formatBytes(u.bytes)} of ${formatBytes(u.maxBytes)}`
              }
            </Value>
          )}{" "}
          {offlineCache === undefined ? null : (
            <button
              type="button"
              disabled={clearing}
              onClick={() => {
                setClearing(true);
                void offlineCache
                  .clear()
                  .finally(() => {
                    setClearing(false);
                    reloadUsage();
                    reloadStorage();
                  })
                  .catch(() => undefined);
              }}
            >
              Clear offline cache
            </button>
          )}
        </dd>
        <dt>API base URL</dt>
        <dd className="mono" data-testid="api-base-url">
          <Value loaded={api}>{(a) => a.apiBaseUrl}</Value>
        </dd>
        <dt>Mode</dt>
        <dd data-testid="api-mode">
          <Value loaded={api}>
            {(a) =>
              a.crossOrigin
                ? "cross-origin (config.json names the admin; each call carries a bearer key)"
                : "same origin (the admin serves the UI; the session cookie signs calls)"
            }
          </Value>
        </dd>
        <dt>Browser</dt>
        <dd className="mono">{navigator.userAgent}</dd>
      </dl>
      <button
        type="button"
        onClick={() => {
          reloadStorage();
          reloadUsage();
        }}
      >
        Refresh figures
      </button>
    </section>
  );
}
