import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { addStaticKeyToTransport } from "@connectrpc/connect-query";
import { createConnectTransport } from "@connectrpc/connect-web";
import type { ApiConfig } from "./api-config.ts";
import type { SessionClient } from "./session.ts";

/** What the transport tells the UI about every call. */
export interface CallWatcher {
  /** A call was refused as unauthenticated (the session expired, the key was revoked). */
  onUnauthenticated(): void;
  /** Whether the admin answered at all (any HTTP answer) or could not be reached. */
  onReachable(reachable: boolean): void;
}

/**
 * The Connect transport to the admin API. Its query-cache key is fixed ("admin"), so cached
 * queries keep their keys across reloads and the offline cache can hand them back. Across
 * origins each call carries the session's bearer key; on the admin's origin the cookie does.
 * Every call, streams included, reports reachability and refusals to `watcher`.
 */
export function createApiTransport(
  config: ApiConfig,
  session: SessionClient,
  watcher: CallWatcher,
): Transport {
  const bearer: Interceptor = (next) => (request) => {
    const key = session.bearerKey();
    if (key !== undefined) request.header.set("authorization", `Bearer ${key}`);
    return next(request);
  };
  const transport = createConnectTransport({
    baseUrl: config.apiBaseUrl,
    interceptors: [bearer, unauthenticatedInterceptor(watcher.onUnauthenticated)],
    // Reachability is known here exactly: the admin answered when fetch resolved (any status).
    fetch: async (input, init) => {
      try {
        const response = await fetch(input, {
          ...init,
          credentials: config.crossOrigin ? "omit" : "same-origin",
        });
        watcher.onReachable(true);
        return response;
      } catch (err) {
        if (!(init?.signal?.aborted ?? false)) watcher.onReachable(false);
        throw err;
      }
    },
  });
  return addStaticKeyToTransport(transport, "admin");
}

/**
 * Calls `onUnauthenticated` for every call refused as unauthenticated: unary calls, and
 * streams (WatchOverview, Tail, Drain, Sql, Export), whose errors come while they are read.
 */
export function unauthenticatedInterceptor(onUnauthenticated: () => void): Interceptor {
  const notice = (err: unknown) => {
    if (err instanceof ConnectError && err.code === Code.Unauthenticated) onUnauthenticated();
  };
  return (next) => async (request) => {
    try {
      const response = await next(request);
      if (!response.stream) return response;
      const messages = response.message;
      return {
        ...response,
        message: (async function* () {
          try {
            yield* messages;
          } catch (err) {
            notice(err);
            throw err;
          }
        })(),
      };
    } catch (err) {
      notice(err);
      throw err;
    }
  };
}
