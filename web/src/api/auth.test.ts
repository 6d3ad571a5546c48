import { describe, expect, it } from "vitest";
import { createAuth } from "./auth.ts";
import { ApiUnreachableError, type Session, type SessionClient } from "./session.ts";

/** A session client whose admin answers `who`, or is away. */
function fakeClient(who: () => Session | undefined | "away"): SessionClient {
  const last: Session = { name: "ops", role: "viewer" };
  return {
    current: async () => {
      const answer = who();
      if (answer === "away") throw new ApiUnreachableError("away");
      return answer;
    },
    login: async () => last,
    logout: async () => {},
    bearerKey: () => undefined,
    lastKnown: () => last,
  };
}

describe("auth", () => {
  it("opens offline on the last session seen when the admin cannot be reached", async () => {
    const auth = createAuth(fakeClient(() => "away"));
    expect(await auth.ensure()).toEqual({ user: { name: "ops", role: "viewer" }, offline: true });
  });

  it("follows what calls find: unreachable turns offline, an answer turns it back and asks again", async () => {
    let answer: Session | undefined | "away" = { name: "ana", role: "operator" };
    const auth = createAuth(fakeClient(() => answer));
    await auth.ensure();
    const seen: boolean[] = [];
    auth.subscribe(() => seen.push(auth.current().offline));
    auth.reachable(false);
    auth.reachable(false);
    expect(auth.current().offline).toBe(true);
    auth.reachable(true);
    expect(seen).toEqual([true, false]);
    // Back online, the admin is asked again: its restart ended the session.
    answer = undefined;
    expect((await auth.ensure()).user).toBeUndefined();
  });

  it("forgets an expired session without asking the admin", async () => {
    const auth = createAuth(fakeClient(() => ({ name: "ana", role: "viewer" })));
    await auth.ensure();
    auth.expired();
    expect(auth.current().user).toBeUndefined();
  });
});
