import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { AdminService, GetOverviewResponseSchema, type Overview, Phase } from "@langtian/proto";
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { type OverviewSample, SampleField } from "../../api/overview-figures.ts";
import { OVERVIEW_HISTORY_KEY } from "../../api/use-overview.ts";
import { fakeInstance, fakeOverview } from "../../testing/fake-overview.ts";
import { renderApp } from "../../testing/render-app.tsx";

afterEach(cleanup);

/** Resolves when the signal aborts: a server stream that stays open until the page leaves. */
const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

/** A server stream that sends nothing and stays open until the client goes away. */
async function* idle<T>(signal: AbortSignal): AsyncGenerator<T> {
  await untilAborted(signal);
  yield* [];
}

/** One bridge unreachable, the lake writer not ready: the graph must show it in colour and words. */
function troubled(): Overview {
  return fakeOverview({
    instances: [
      fakeInstance("collector-1", "collector", { rates: { events_decoded: 120 } }),
      fakeInstance("bridge-1", "bridge", {
        error: "connect ECONNREFUSED 127.0.0.1:9800",
        live: false,
        ready: false,
      }),
      fakeInstance("bridge-2", "bridge", { rates: { produced: 60 } }),
      fakeInstance("lake-writer-1", "lake-writer", {
        ready: false,
        dependencies: [{ name: "kafka", healthy: false, detail: "broker down" }],
      }),
    ],
  });
}

describe("the overview", () => {
  it("draws the pipeline with each part's health from the overview, then follows the stream", async () => {
    const streamed = fakeOverview({
      instances: [
        fakeInstance("collector-1", "collector", { rates: { events_decoded: 150 } }),
        fakeInstance("bridge-1", "bridge", { rates: { produced: 75 } }),
        fakeInstance("bridge-2", "bridge", { rates: { produced: 75 } }),
        fakeInstance("lake-writer-1", "lake-writer", { rates: { rows_written: 150 } }),
      ],
    });
    const watched: number[] = [];
    let release: () => void = () => {};
    const second = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { context } = renderApp("/", (router) =>
      router.service(AdminService, {
        getOverview: () => create(GetOverviewResponseSchema, { overview: troubled() }),
        async *watchOverview(req, ctx) {
          watched.push(req.intervalMs);
          await second;
          yield { overview: streamed };
          await untilAborted(ctx.signal);
        },
      }),
    );
    const graph = await screen.findByRole("list", { name: /Pipeline/ });
    const node = (id: string) => within(graph).getByTestId(`node-${id}`);
    await waitFor(() => expect(node("collector").dataset.health).toBe("ok"));
    expect(node("devices").dataset.health).toBe("ok");
    expect(node("bridge").dataset.health).toBe("warn");
    expect(node("bridge").getAttribute("aria-label")).toBe("Bridge: degraded, 1 of 2 ready");
    expect(node("lake-writer").dataset.health).toBe("bad");
    expect(node("lake-writer").textContent).toContain("down");
    expect(node("nats").dataset.health).toBe("ok");
    expect(node("kafka").dataset.health).toBe("ok");
    // The lake's true lag: records in Kafka not yet committed to the lake (20 + 10).
    expect(node("lake").dataset.health).toBe("ok");
    expect(within(node("lake")).getByText("Lag").nextElementSibling?.textContent).toBe("30");
    // Rates: the collector's decoded events per second.
    expect(within(node("collector")).getByText("120")).toBeTruthy();
    const problems = screen.getByRole("region", { name: "Problems" });
    expect(problems.textContent).toContain("bridge-1 (bridge): unreachable — connect ECONNREFUSED");
    expect(problems.textContent).toContain("lake-writer-1 (lake-writer): not ready");
    expect(watched).toEqual([2000]);

    // The stream's next overview: everything healthy, the charts have a point.
    release();
    await waitFor(() => expect(node("bridge").dataset.health).toBe("ok"));
    expect(node("lake-writer").dataset.health).toBe("ok");
    expect(screen.getByTestId("stream-status").textContent).toMatch(/^Live · \d+ s ago$/);
    // Announced: that it is live, not the age ticking every second.
    expect(screen.getByTestId("stream-state").getAttribute("role")).toBe("status");
    expect(screen.getByTestId("stream-state").textContent).toBe("Live");
    expect(
      screen.getByRole("img", {
        name: /^Throughput \(events\/s\) over the last 60 minutes: Collector in 150/,
      }),
    ).toBeTruthy();
    expect(screen.getByRole("img", { name: /^Lake lag \(records\).*Not yet in the lake 30/ })).toBeTruthy();
    expect(problems.textContent).toContain("None");
    // The history is in the query cache (so the offline cache keeps it across reloads).
    const kept = context.queryClient.getQueryData<OverviewSample[]>(OVERVIEW_HISTORY_KEY);
    expect(kept?.map((s) => s[SampleField.collectorIn])).toEqual([150]);
  });

  it("charts the range of the URL, picked from links", async () => {
    const { router } = renderApp("/?range=5m", (router) =>
      router.service(AdminService, {
        getOverview: () => ({ overview: fakeOverview() }),
        watchOverview: (_req, ctx) => idle(ctx.signal),
      }),
    );
    expect(await screen.findByRole("img", { name: /^Throughput.* over the last 5 minutes/ })).toBeTruthy();
    const picker = screen.getByRole("navigation", { name: "Chart range" });
    expect(within(picker).getByRole("link", { name: "5 min" }).getAttribute("aria-current")).toBe("page");
    fireEvent.click(within(picker).getByRole("link", { name: "15 min" }));
    await waitFor(() => expect(router.state.location.search).toEqual({ range: "15m" }));
    expect(await screen.findByRole("img", { name: /^Throughput.* over the last 15 minutes/ })).toBeTruthy();
    fireEvent.click(within(picker).getByRole("link", { name: "1 h" }));
    await waitFor(() => expect(router.state.location.search).toEqual({ range: "1h" }));
    expect(await screen.findByRole("img", { name: /^Throughput.* over the last 60 minutes/ })).toBeTruthy();
  });

  it("shows an instance that is draining as degraded and a lake that falls behind", async () => {
    const overview = fakeOverview({
      instances: [
        fakeInstance("bridge-1", "bridge", { phase: Phase.DRAINING, ready: false }),
        fakeInstance("lake-writer-1", "lake-writer"),
      ],
      topics: [
        {
          name: "eda.events",
          partitions: [{ partition: 0, endOffset: 90_000n, lakePosition: 40_000n, lakeLag: 50_000n }],
        },
      ],
    });
    renderApp("/", (router) =>
      router.service(AdminService, {
        getOverview: () => ({ overview }),
        watchOverview: (_req, ctx) => idle(ctx.signal),
      }),
    );
    const bridge = await screen.findByTestId("node-bridge");
    expect(bridge.dataset.health).toBe("bad");
    expect(screen.getByTestId("node-lake").dataset.health).toBe("warn");
    expect(screen.getByTestId("node-lake").textContent).toContain("falling behind");
    expect(screen.getByTestId("node-collector").textContent).toContain("not in the deployment");
    expect(screen.getByRole("region", { name: "Problems" }).textContent).toContain(
      "bridge-1 (bridge): draining",
    );
  });

  it("says when the API cannot be reached, and offers a retry", async () => {
    renderApp("/", (router) =>
      router.service(AdminService, {
        getOverview: () => {
          throw new ConnectError("admin away", Code.Unavailable);
        },
        watchOverview: () => {
          throw new ConnectError("admin away", Code.Unavailable);
        },
      }),
    );
    const alert = await screen.findByRole("alert", {}, { timeout: 4000 });
    expect(alert.textContent).toContain("The API cannot be reached");
    expect(within(alert).getByRole("button", { name: "Retry" })).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId("stream-status").textContent).toContain("Not live"));
  });

  it("says when the deployment lists nothing", async () => {
    renderApp("/", (router) =>
      router.service(AdminService, {
        getOverview: () => ({ overview: fakeOverview({ instances: [], streams: [], topics: [] }) }),
        watchOverview: (_req, ctx) => idle(ctx.signal),
      }),
    );
    expect((await screen.findByText("Nothing to show")).closest("[role=status]")).toBeTruthy();
  });
});
