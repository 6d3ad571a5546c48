import { randomBytes } from "node:crypto";
import type { ApiKey } from "@langtian/service-kit";
import type { Role } from "../access/admin-access.ts";

/** The session cookie's name. */
export const SESSION_COOKIE = "langtian_session";

/** UI sessions: a random id in an HttpOnly, SameSite=Strict cookie, mapped here to the key that logged in. */
export interface Sessions {
  /** Starts a session for `key`; returns the cookie to set. */
  open(key: ApiKey<Role>): string;
  /** The caller of a `Cookie` header's session, if it is open and not expired. */
  callerOf(cookieHeader: string | null | undefined): ApiKey<Role> | undefined;
  /** Ends the session of a `Cookie` header; returns the cookie that clears it. */
  close(cookieHeader: string | null | undefined): string;
}

/**
 * In memory, per admin instance: behind several admin instances, keep a UI on one instance
 * (sticky), or log in on each. `secure` adds the `Secure` attribute (set it whenever the UI is
 * served over https).
 */
export function createSessions(ttlMs: number, secure: boolean, nowMs = () => Date.now()): Sessions {
  const open = new Map<string, { key: ApiKey<Role>; expiresAtMs: number }>();
  const attributes = `Path=/; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
  const idOf = (header: string | null | undefined): string | undefined => {
    for (const part of (header ?? "").split(";")) {
      const [name, value] = part.trim().split("=");
      if (name === SESSION_COOKIE && value !== undefined && value !== "") return value;
    }
    return undefined;
  };
  return {
    open(key) {
      const now = nowMs();
      // Expired sessions go when the next one opens: the map never grows without bound.
      for (const [id, s] of open) if (s.expiresAtMs <= now) open.delete(id);
      const id = randomBytes(32).toString("base64url");
      open.set(id, { key, expiresAtMs: now + ttlMs });
      return `${SESSION_COOKIE}=${id}; ${attributes}; Max-Age=${Math.floor(ttlMs / 1000)}`;
    },
    callerOf(header) {
      const id = idOf(header);
      const session = id === undefined ? undefined : open.get(id);
      if (session === undefined || id === undefined) return undefined;
      if (session.expiresAtMs <= nowMs()) {
        open.delete(id);
        return undefined;
      }
      return session.key;
    },
    close(header) {
      const id = idOf(header);
      if (id !== undefined) open.delete(id);
      return `${SESSION_COOKIE}=; ${attributes}; Max-Age=0`;
    },
  };
}
