import { cleanup, screen, waitFor } from "@testing-library/react";
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
});
