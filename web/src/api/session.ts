import type { ApiConfig } from "./api-config.ts";

/** Roles of the admin API: viewers read, operators also change things (drain, replay, config). */
export const Role = { viewer: "viewer", operator: "operator" } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Who is logged in. */
export interface Session {
  readonly name: string;
  readonly role: Role;
  /** Where the deployment shows a trace: a URL with `{traceId}`; absent when none is configured. */
  readonly traceUrl?: string;
}

/** The login failed: a wrong key, or an admin that refused it; `message` says why. */
export class LoginError extends Error {
  override readonly name = "LoginError";
}

/** The admin could not be reached: the UI may go on with what it has cached. */
export class ApiUnreachableError extends Error {
  override readonly name = "ApiUnreachableError";
}

/**
 * The UI's login. On the admin's own origin, `POST /v1/session` sets an HttpOnly cookie that
 * scripts never see; across origins (the WebView2 shell) the key is kept for this tab only
 * (sessionStorage) and sent as a bearer token, since a SameSite=Strict cookie is not sent there.
 */
export interface SessionClient {
  /** The current session; undefined when nobody is logged in. Throws ApiUnreachableError offline. */
  current(): Promise<Session | undefined>;
  login(key: string): Promise<Session>;
  logout(): Promise<void>;
  /** The bearer key to send (cross-origin only). */
  bearerKey(): string | undefined;
  /** The last session seen, remembered (name and role only) so the UI can open offline. */
  lastKnown(): Session | undefined;
}

const BEARER_KEY = "langtian.bearer";
const LAST_SESSION = "langtian.session";

/** The session client for an API configuration. */
export function createSessionClient(
  config: ApiConfig,
  fetchFn: typeof fetch = (...args) => fetch(...args),
): SessionClient {
  const url = `${config.apiBaseUrl}/v1/session`;
  const call = async (method: string, key?: string): Promise<Response> => {
    const headers: Record<string, string> = { accept: "application/json" };
    const init: RequestInit = { method, headers, credentials: config.crossOrigin ? "omit" : "same-origin" };
    const bearer = key === undefined && config.crossOrigin ? sessionStorage.getItem(BEARER_KEY) : null;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    if (key !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify({ key });
    }
    try {
      return await fetchFn(url, init);
    } catch (err) {
      throw new ApiUnreachableError(`the admin at ${config.apiBaseUrl} cannot be reached`, { cause: err });
    }
  };
  const remember = (session: Session | undefined): Session | undefined => {
    if (session === undefined) localStorage.removeItem(LAST_SESSION);
    else localStorage.setItem(LAST_SESSION, JSON.stringify(session));
    return session;
  };
  return {
    async current() {
      const response = await call("GET");
      if (response.status === 401) return remember(undefined);
      if (!response.ok) throw new ApiUnreachableError(`the admin answered ${response.status}`);
      return remember(sessionOf(await response.json()));
    },
    async login(key) {
      const response = await call("POST", key);
      const body = (await response.json().catch(() => ({}))) as { message?: string };
      if (!response.ok) throw new LoginError(body.message ?? `login refused (${response.status})`);
      if (config.crossOrigin) sessionStorage.setItem(BEARER_KEY, key);
      const session = sessionOf(body);
      remember(session);
      return session;
    },
    async logout() {
      sessionStorage.removeItem(BEARER_KEY);
      remember(undefined);
      await call("DELETE").catch(() => undefined);
    },
    bearerKey() {
      return config.crossOrigin ? (sessionStorage.getItem(BEARER_KEY) ?? undefined) : undefined;
    },
    lastKnown() {
      try {
        return sessionOf(JSON.parse(localStorage.getItem(LAST_SESSION) ?? "null"));
      } catch {
        return undefined;
      }
    },
  };
}

function sessionOf(body: unknown): Session {
  const { name, role, traceUrl } = (body ?? {}) as { name?: unknown; role?: unknown; traceUrl?: unknown };
  if (typeof name !== "string" || (role !== Role.viewer && role !== Role.operator))
    throw new LoginError("the admin's session answer is not understood");
  return typeof traceUrl === "string" && traceUrl.includes("{traceId}")
    ? { name, role, traceUrl }
    : { name, role };
}
