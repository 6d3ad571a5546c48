import type { HandlerContext } from "@connectrpc/connect";
import type { ApiKeyGuard } from "@langtian/service-kit";
import type { Sessions } from "../web/sessions.ts";
import { CALLER, type Role } from "./admin-access.ts";

/**
 * The request gate of every service the admin serves (AdminService, and QueryService it
 * forwards): runs before the message is read, admits the caller by its `Authorization` key, or
 * without one by its UI session cookie, with the role `needs(method name)`, and records it as
 * {@link CALLER}. One gate, so both services admit a caller exactly alike.
 */
export function createCallerGate(
  guard: ApiKeyGuard<Role>,
  sessions: Sessions,
  needs: (method: string) => Role,
): (context: HandlerContext) => void {
  return (context) => {
    const role = needs(context.method.name);
    const authorization = context.requestHeader.get("authorization");
    const session =
      authorization === null ? sessions.callerOf(context.requestHeader.get("cookie")) : undefined;
    context.values.set(
      CALLER,
      session === undefined ? guard.admit(authorization, role) : guard.admitKnown(session, role),
    );
  };
}
