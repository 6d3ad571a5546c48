import { Code, ConnectError } from "@connectrpc/connect";
import { AdminService } from "@langtian/proto";
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { fakeAuth, renderApp } from "../testing/render-app.tsx";

afterEach(cleanup);

describe("the shell", () => {
  it("shows the navigation and who is logged in", async () => {
    renderApp("/schemas", () => {}, { role: "operator" });
    expect(await screen.findByRole("navigation", { name: "Main" })).toBeTruthy();
    expect(screen.getByTestId("user").textContent).toContain("tester · operator");
    expect(screen.getByRole("link", { name: "Schemas" }).getAttribute("aria-current")).toBe("page");
  });

  it("sends a visitor without a session to the login, keeping where they were going", async () => {
    const { router } = renderApp("/audit", () => {}, { auth: fakeAuth(undefined) });
    expect(await screen.findByLabelText("API key")).toBeTruthy();
    await waitFor(() => expect(router.state.location.pathname).toBe("/login"));
    expect(router.state.location.search).toEqual({ redirect: "/audit" });
  });

  it("says so when it runs offline on the last session seen", async () => {
    renderApp("/schemas", () => {}, { auth: fakeAuth({ name: "ops", role: "viewer" }, true) });
    expect((await screen.findByTestId("offline-badge")).textContent).toContain("Offline");
  });

  it("sends the user to the login when a stream is refused as unauthenticated (an expired session)", async () => {
    const { router } = renderApp("/live", (r) => {
      r.service(AdminService, {
        // biome-ignore lint/correctness/useYield: refused before its first message, as the admin does
        async *tail() {
          throw new ConnectError("no session", Code.Unauthenticated);
        },
      });
    });
    expect(await screen.findByLabelText("API key")).toBeTruthy();
    await waitFor(() => expect(router.state.location.pathname).toBe("/login"));
    expect(router.state.location.search).toEqual({ redirect: "/live" });
  });

  it("forgets every cached answer on logout (nothing of this user for the next one)", async () => {
    const { context } = renderApp("/schemas", () => {});
    context.queryClient.setQueryData(["something"], { secret: 1 });
    fireEvent.click(await screen.findByRole("button", { name: "Log out" }));
    expect(await screen.findByLabelText("API key")).toBeTruthy();
    expect(context.queryClient.getQueryData(["something"])).toBeUndefined();
  });

  it("names the window after the page and moves focus to its heading on a page change", async () => {
    const { router } = renderApp("/schemas", () => {});
    await screen.findByRole("heading", { name: "Schemas", level: 1 });
    expect(document.title).toBe("Schemas · Langtian EDA");
    await router.navigate({ to: "/audit" });
    const heading = await screen.findByRole("heading", { name: "Audit", level: 1 });
    await waitFor(() => expect(document.activeElement).toBe(heading));
    expect(document.title).toBe("Audit · Langtian EDA");
  });
});
