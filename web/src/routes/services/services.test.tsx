import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { AdminService, type DrainInstanceRequest, DrainInstanceResponseSchema, Phase } from "@langtian/proto";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Role } from "../../api/session.ts";
import { fakeInstance, fakeOverview } from "../../testing/fake-overview.ts";
import { renderApp } from "../../testing/render-app.tsx";

afterEach(cleanup);

const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

/** A server stream that sends nothing and stays open until the client goes away. */
async function* idle<T>(signal: AbortSignal): AsyncGenerator<T> {
  await untilAborted(signal);
  yield* [];
}

/** A gate the test opens to let the fake drain send its next step. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/**
 * The admin's overview and drain: the drain refuses (failed_precondition) when asked to, else
 * streams "requested", one "draining" step after `step` opens, and a last "drained" step.
 */
function admin(o: { refuseUnforced?: boolean; step?: ReturnType<typeof gate> }) {
  const drains: DrainInstanceRequest[] = [];
  const routes = (router: ConnectRouter) =>
    router.service(AdminService, {
      getOverview: () => ({ overview: fakeOverview() }),
      watchOverview: (_req, ctx) => idle(ctx.signal),
      async *drainInstance(req) {
        drains.push(req);
        if (o.refuseUnforced === true && !req.force)
          throw new ConnectError(
            `${req.instance} is the last ready bridge instance: draining it stops the stage (pass force to drain anyway)`,
            Code.FailedPrecondition,
          );
        yield create(DrainInstanceResponseSchema, {
          phase: Phase.DRAINING,
          detail: `drain of ${req.instance} requested`,
        });
        await o.step?.opened;
        yield create(DrainInstanceResponseSchema, {
          phase: Phase.DRAINING,
          detail: "draining",
          counters: { in_flight: 3 },
        });
        yield create(DrainInstanceResponseSchema, { phase: Phase.DRAINED, detail: "drained", done: true });
      },
    });
  return { drains, routes };
}

function render(routes: (r: ConnectRouter) => void, role: Role = "operator", path = "/services") {
  return renderApp(path, routes, { role });
}

describe("the services page", () => {
  it("lists every instance with health, state, version and uptime", async () => {
    const { routes } = admin({});
    render(routes, "viewer");
    const row = await screen.findByTestId("instance-bridge-1");
    expect(row.textContent).toContain("bridge");
    expect(row.textContent).toContain("healthy");
    expect(row.textContent).toContain("running");
    expect(row.textContent).toContain("0.1.0");
    expect(row.textContent).toContain("1 h");
    expect(screen.getAllByRole("row")).toHaveLength(6);
  });

  it("drains after a confirmation and shows the streamed progress", async () => {
    const step = gate();
    const { routes, drains } = admin({ step });
    render(routes);
    fireEvent.click(await screen.findByRole("button", { name: "Drain bridge-2" }));
    const dialog = screen.getByRole("dialog", { name: "Drain bridge-2?" });
    // Nothing is sent before the confirmation.
    expect(drains).toHaveLength(0);
    fireEvent.change(within(dialog).getByLabelText("Give up waiting after"), { target: { value: "120000" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Drain" }));
    const log = await screen.findByRole("log", { name: "Drain progress" });
    await waitFor(() => expect(log.textContent).toContain("draining drain of bridge-2 requested"));
    expect(screen.getByTestId("drain-outcome").textContent).toContain("Draining…");
    // While one drain runs, no other can start.
    expect((screen.getByRole("button", { name: "Drain bridge-1" }) as HTMLButtonElement).disabled).toBe(true);
    step.open();
    await waitFor(() =>
      expect(screen.getByTestId("drain-outcome").textContent).toContain("Done: drained, drained"),
    );
    expect(log.textContent).toContain("in_flight 3");
    expect(within(log).getAllByRole("listitem")).toHaveLength(3);
    expect(drains.map((d) => ({ instance: d.instance, force: d.force, deadlineMs: d.deadlineMs }))).toEqual([
      { instance: "bridge-2", force: false, deadlineMs: 120_000 },
    ]);
    fireEvent.click(screen.getByRole("button", { name: "Close" }));
    expect(screen.queryByTestId("drain-panel")).toBeNull();
  });

  it("shows the server's refusal to drain the last ready instance and forces it after a second confirmation", async () => {
    const { routes, drains } = admin({ refuseUnforced: true });
    render(routes);
    fireEvent.click(await screen.findByRole("button", { name: "Drain bridge-1" }));
    fireEvent.click(
      within(screen.getByRole("dialog", { name: "Drain bridge-1?" })).getByRole("button", { name: "Drain" }),
    );
    const refusal = await screen.findByRole("alert");
    expect(refusal.textContent).toContain("bridge-1 is the last ready bridge instance");
    expect(screen.getByRole("heading", { name: "Drain of bridge-1 refused" })).toBeTruthy();
    expect(drains.map((d) => d.force)).toEqual([false]);

    // Declining the second confirmation sends nothing and keeps the refusal shown.
    fireEvent.click(screen.getByRole("button", { name: "Force drain…" }));
    const force = screen.getByRole("dialog", { name: "Force the drain of bridge-1?" });
    expect(force.textContent).toContain("last ready instance of its stage");
    fireEvent.click(within(force).getByRole("button", { name: "Cancel" }));
    expect(screen.getByRole("heading", { name: "Drain of bridge-1 refused" })).toBeTruthy();
    expect(drains).toHaveLength(1);

    fireEvent.click(screen.getByRole("button", { name: "Force drain…" }));
    fireEvent.click(
      within(screen.getByRole("dialog", { name: "Force the drain of bridge-1?" })).getByRole("button", {
        name: "Force drain",
      }),
    );
    await waitFor(() => expect(screen.getByTestId("drain-outcome").textContent).toContain("Done"));
    expect(screen.getByRole("heading", { name: "Drain of bridge-1 (forced)" })).toBeTruthy();
    expect(drains.map((d) => [d.instance, d.force])).toEqual([
      ["bridge-1", false],
      ["bridge-1", true],
    ]);
  });

  it("shows a failed drain's error", async () => {
    const routes = (router: ConnectRouter) =>
      router.service(AdminService, {
        getOverview: () => ({ overview: fakeOverview() }),
        watchOverview: (_req, ctx) => idle(ctx.signal),
        drainInstance: () => {
          throw new ConnectError("the caller is not an operator", Code.PermissionDenied);
        },
      });
    render(routes);
    fireEvent.click(await screen.findByRole("button", { name: "Drain bridge-1" }));
    fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Drain" }));
    await waitFor(() =>
      expect(screen.getByTestId("drain-outcome").textContent).toContain("Failed: Not allowed"),
    );
  });

  it("lets a viewer see Drain disabled, and why", async () => {
    const { routes, drains } = admin({});
    render(routes, "viewer");
    const button = (await screen.findByRole("button", { name: "Drain bridge-1" })) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    const why = document.getElementById(button.getAttribute("aria-describedby") ?? "");
    expect(why?.textContent).toContain("Draining needs the operator role");
    expect(button.title).toBe("Cannot drain: needs the operator role");
    fireEvent.click(button);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(drains).toHaveLength(0);
  });

  it("filters by stage and name, in the URL", async () => {
    const { routes } = admin({});
    const { router } = render(routes, "viewer", "/services?stage=bridge");
    await screen.findByTestId("instance-bridge-1");
    expect(screen.queryByTestId("instance-collector-1")).toBeNull();
    expect(screen.getByText("2 of 5 instances")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Name contains"), { target: { value: "2" } });
    await waitFor(() => expect(router.state.location.search).toEqual({ stage: "bridge", q: "2" }));
    expect(screen.queryByTestId("instance-bridge-1")).toBeNull();
    fireEvent.change(screen.getByLabelText("Name contains"), { target: { value: "nothing" } });
    fireEvent.click(await screen.findByRole("button", { name: "Clear the filters" }));
    await waitFor(() => expect(router.state.location.search).toEqual({}));
    expect(screen.getByTestId("instance-collector-1")).toBeTruthy();
  });

  it("shows an instance that cannot be read as unreachable, not drainable", async () => {
    const routes = (router: ConnectRouter) =>
      router.service(AdminService, {
        getOverview: () => ({
          overview: fakeOverview({
            instances: [
              fakeInstance("bridge-1", "bridge", {
                error: "connect ECONNREFUSED",
                live: false,
                ready: false,
              }),
            ],
          }),
        }),
        watchOverview: (_req, ctx) => idle(ctx.signal),
      });
    render(routes);
    const row = await screen.findByTestId("instance-bridge-1");
    expect(row.textContent).toContain("unreachable");
    expect(row.textContent).toContain("connect ECONNREFUSED");
    expect((within(row).getByRole("button", { name: "Drain bridge-1" }) as HTMLButtonElement).disabled).toBe(
      true,
    );
  });
});
