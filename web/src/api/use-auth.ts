import { useRouteContext } from "@tanstack/react-router";
import { useSyncExternalStore } from "react";
import type { AuthState } from "./auth.ts";

/** The login state, re-rendering when it changes. */
export function useAuthState(): AuthState {
  const { auth } = useRouteContext({ from: "__root__" });
  return useSyncExternalStore(auth.subscribe, auth.current);
}

/** True when the user may change things (drain, replay, configuration): the operator role. */
export function useIsOperator(): boolean {
  return useAuthState().user?.role === "operator";
}
