import { ApiUnreachableError, type Session, type SessionClient } from "./session.ts";

/** Who uses the UI, and whether the admin answered when it was asked. */
export interface AuthState {
  readonly user: Session | undefined;
  /** The admin could not be reached: `user` is the last session seen, kept for offline use. */
  readonly offline: boolean;
}

/** The UI's view of its login, shared through the router context. */
export interface Auth {
  /** The state, asked of the admin at most every `maxAgeMs` (each navigation calls this). */
  ensure(): Promise<AuthState>;
  current(): AuthState;
  login(key: string): Promise<Session>;
  logout(): Promise<void>;
  /** The API refused the session (expired, revoked): forget it, without asking the admin. */
  expired(): void;
  /** What the last call found: the admin answered, or could not be reached. */
  reachable(reachable: boolean): void;
  subscribe(listener: () => void): () => void;
}

/** The login state over a session client. */
export function createAuth(client: SessionClient, maxAgeMs = 30_000): Auth {
  let state: AuthState = { user: client.lastKnown(), offline: false };
  let checkedAtMs = Number.NEGATIVE_INFINITY;
  let checking: Promise<AuthState> | undefined;
  const listeners = new Set<() => void>();
  const set = (next: AuthState) => {
    state = next;
    for (const l of listeners) l();
    return next;
  };
  return {
    ensure() {
      if (performance.now() - checkedAtMs < maxAgeMs && !state.offline) return Promise.resolve(state);
      checking ??= client
        .current()
        .then(
          (user) => set({ user, offline: false }),
          (err: unknown) => {
            if (!(err instanceof ApiUnreachableError)) throw err;
            return set({ user: client.lastKnown(), offline: true });
          },
        )
        .finally(() => {
          checkedAtMs = performance.now();
          checking = undefined;
        });
      return checking;
    },
    current: () => state,
    async login(key) {
      const user = await client.login(key);
      checkedAtMs = performance.now();
      set({ user, offline: false });
      return user;
    },
    async logout() {
      await client.logout();
      checkedAtMs = Number.NEGATIVE_INFINITY;
      set({ user: undefined, offline: false });
    },
    reachable(reachable) {
      if (state.offline === !reachable) return;
      // Back online: the next navigation asks the admin who the session is again.
      if (reachable) checkedAtMs = Number.NEGATIVE_INFINITY;
      set({ user: state.user, offline: !reachable });
    },
    expired() {
      checkedAtMs = Number.NEGATIVE_INFINITY;
      if (state.user !== undefined) set({ user: undefined, offline: false });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
