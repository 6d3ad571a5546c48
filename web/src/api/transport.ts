import type { Interceptor, Transport } from "@connectrpc/connect";
import { addStaticKeyToTransport } from "@connectrpc/connect-query";
import { createConnectTransport } from "@connectrpc/connect-web";
import type { ApiConfig } from "./api-config.ts";
import type { SessionClient } from "./session.ts";

/**
 * The Connect transport to the admin API. Its query-cache key is fixed ("admin"), so cached
 * queries keep their keys across reloads and the offline cache can hand them back. Across
 * origins each call carries the session's bearer key; on the admin's origin the cookie does.
 */
export function createApiTransport(config: ApiConfig, session: SessionClient): Transport {
  const bearer: Interceptor = (next) => (request) => {
    const key = session.bearerKey();
    if (key !== undefined) request.header.set("authorization", `Bearer ${key}`);
    return next(request);
  };
  const transport = createConnectTransport({
    baseUrl: config.apiBaseUrl,
    interceptors: [bearer],
    fetch: (input, init) =>
      fetch(input, { ...init, credentials: config.crossOrigin ? "omit" : "same-origin" }),
  });
  return addStaticKeyToTransport(transport, "admin");
}
