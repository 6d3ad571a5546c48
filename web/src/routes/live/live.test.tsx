import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { AdminService, TailedEventSchema, type TailRequest, TailResponseSchema } from "@langtian/proto";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app.tsx";

afterEach(cleanup);

const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

/** A server stream that sends nothing and stays open until the client goes away. */
async function* idle<T>(signal: AbortSignal): AsyncGenerator<T> {
  await untilAborted(signal);
  yield* [];
}

function event(n: number) {
  return create(TailedEventSchema, {
    subject: "eda.events.device.telemetry",
    streamSequence: BigInt(100 + n),
    storedAt: timestampFromMs(Date.UTC(2026, 0, 1, 12, 0, n)),
    eventId: `evt-${n}`,
    eventType: "device.telemetry",
    sourceSystem: "plant-a",
    payloadType: "langtian.device.v1.Telemetry",
    attributes: { line: "3" },
    payloadJson: JSON.stringify({ deviceId: `dev-${n}`, temperature: 20 + n }),
  });
}

/** A tail that sends two events, a report of 5 skipped, a third event (3 more skipped), then stays open. */
function admin() {
  const tails: { req: TailRequest; signal: AbortSignal }[] = [];
  const routes = (router: ConnectRouter) =>
    router.service(AdminService, {
      async *tail(req, ctx) {
        tails.push({ req, signal: ctx.signal });
        yield create(TailResponseSchema, { event: event(1) });
        yield create(TailResponseSchema, { event: event(2) });
        yield create(TailResponseSchema, { skipped: 5n });
        yield create(TailResponseSchema, { event: event(3), skipped: 3n });
        await untilAborted(ctx.signal);
      },
    });
  return { tails, routes };
}

describe("the live tail", () => {
  it("shows the events decoded, newest first, and how many were skipped", async () => {
    const { routes, tails } = admin();
    renderApp("/live", routes);
    await waitFor(() => expect(screen.getAllByTestId("tail-row")).toHaveLength(3));
    const rows = screen.getAllByTestId("tail-row");
    expect(rows[0]?.textContent).toContain("evt-3");
    expect(rows[2]?.textContent).toContain("evt-1");
    expect(rows[0]?.textContent).toContain("device.telemetry");
    expect(rows[0]?.textContent).toContain("plant-a");
    expect(rows[0]?.textContent).toContain("103");
    expect(screen.getByTestId("tail-skipped").textContent).toBe("8 skipped (73 %)");
    expect(screen.getByTestId("sampling-badge").textContent).toContain("over 10/s");
    expect(tails[0]?.req.subjectFilter).toBe("eda.events.>");
    expect(tails[0]?.req.maxEventsPerSecond).toBe(10);
    expect(tails[0]?.req.sample).toBe(1);

    // The payload, decoded, on demand.
    const show = within(rows[0] as HTMLElement).getByRole("button", { name: /Show/ });
    expect(show.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(show);
    expect(show.getAttribute("aria-expanded")).toBe("true");
    const payload = screen.getByRole("region", { name: "Payload (JSON)" });
    expect(payload.textContent).toContain('"deviceId": "dev-3"');
    expect(payload.textContent).toContain('"temperature": 23');
  });

  it("pauses while a row is open, so it stays in place, and follows again when it closes", async () => {
    const { routes, tails } = admin();
    renderApp("/live", routes);
    await waitFor(() => expect(screen.getAllByTestId("tail-row")).toHaveLength(3));
    const show = within(screen.getAllByTestId("tail-row")[1] as HTMLElement).getByRole("button", {
      name: /Show/,
    });
    fireEvent.click(show);
    await waitFor(() => expect(tails[0]?.signal.aborted).toBe(true));
    // Announced: the state only; the counts are beside the live region, not in it.
    const announced = screen.getByTestId("tail-state");
    expect(announced.getAttribute("role")).toBe("status");
    expect(announced.textContent).toBe("Paused while a row is open");
    expect(screen.getByTestId("tail-indicator").getAttribute("role")).toBeNull();
    expect(screen.getAllByTestId("tail-row")[1]?.textContent).toContain("evt-2");
    // Not the user's pause: the button still offers Pause.
    expect(screen.getByRole("button", { name: "Pause" }).getAttribute("aria-pressed")).toBe("false");
    fireEvent.click(show);
    await waitFor(() => expect(tails).toHaveLength(2));
    await waitFor(() => expect(screen.getByTestId("tail-state").textContent).toBe("Following eda.events.>"));
  });

  it("pauses (closing the stream, keeping what was shown) and resumes", async () => {
    const { routes, tails } = admin();
    renderApp("/live", routes);
    await waitFor(() => expect(screen.getAllByTestId("tail-row")).toHaveLength(3));
    const pause = screen.getByRole("button", { name: "Pause" });
    fireEvent.click(pause);
    await waitFor(() => expect(tails[0]?.signal.aborted).toBe(true));
    expect(screen.getByTestId("tail-indicator").textContent).toContain("Paused");
    expect(screen.getByRole("button", { name: "Resume" }).getAttribute("aria-pressed")).toBe("true");
    expect(screen.getAllByTestId("tail-row")).toHaveLength(3);
    fireEvent.click(screen.getByRole("button", { name: "Resume" }));
    await waitFor(() => expect(tails).toHaveLength(2));
    await waitFor(() => expect(screen.getAllByTestId("tail-row")).toHaveLength(6));
    expect(screen.getByTestId("tail-indicator").textContent).toContain("Following eda.events.>");
  });

  it("applies a filter, a rate and a sampling from the form, into the URL", async () => {
    const { routes, tails } = admin();
    const { router } = renderApp("/live", routes);
    await waitFor(() => expect(tails).toHaveLength(1));
    fireEvent.change(screen.getByLabelText("Subject filter"), { target: { value: "eda.events.device.>" } });
    fireEvent.change(screen.getByLabelText("Most events /s"), { target: { value: "50" } });
    fireEvent.change(screen.getByLabelText("One in"), { target: { value: "4" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() =>
      expect(router.state.location.search).toEqual({ subject: "eda.events.device.>", rate: 50, sample: 4 }),
    );
    await waitFor(() => expect(tails).toHaveLength(2));
    expect(tails[0]?.signal.aborted).toBe(true);
    expect(tails[1]?.req).toMatchObject({
      subjectFilter: "eda.events.device.>",
      maxEventsPerSecond: 50,
      sample: 4,
    });
  });

  it("opens with the settings of a link", async () => {
    const { routes, tails } = admin();
    renderApp("/live?subject=eda.events.device.status&rate=5", routes);
    await waitFor(() => expect(tails).toHaveLength(1));
    expect(tails[0]?.req).toMatchObject({
      subjectFilter: "eda.events.device.status",
      maxEventsPerSecond: 5,
      sample: 1,
    });
    expect((screen.getByLabelText("Subject filter") as HTMLInputElement).value).toBe(
      "eda.events.device.status",
    );
  });

  it("waits visibly for the first event", async () => {
    renderApp("/live", (router) =>
      router.service(AdminService, {
        tail: (_req, ctx) => idle(ctx.signal),
      }),
    );
    expect(await screen.findByText("Waiting for events on eda.events.>…")).toBeTruthy();
  });

  it("says when the server ended the tail, and follows again on demand", async () => {
    let calls = 0;
    renderApp("/live", (router) =>
      router.service(AdminService, {
        async *tail() {
          calls++;
          yield create(TailResponseSchema, { event: event(calls) });
        },
      }),
    );
    const indicator = await screen.findByTestId("tail-indicator");
    await waitFor(() => expect(indicator.textContent).toContain("Ended by the server"));
    fireEvent.click(screen.getByRole("button", { name: "Follow again" }));
    await waitFor(() => expect(calls).toBe(2));
    await waitFor(() => expect(screen.getAllByTestId("tail-row")).toHaveLength(2));
  });

  it("says why the tail stopped, and retries", async () => {
    let calls = 0;
    renderApp("/live?subject=nowhere.>", (router) =>
      router.service(AdminService, {
        tail: () => {
          calls++;
          throw new ConnectError('no JetStream stream holds "nowhere.>"', Code.NotFound);
        },
      }),
    );
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Not found");
    expect(alert.textContent).toContain('no JetStream stream holds "nowhere.>"');
    fireEvent.click(within(alert).getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(calls).toBe(2));
  });
});
