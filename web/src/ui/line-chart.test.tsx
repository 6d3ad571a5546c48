import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LineChart } from "./line-chart.tsx";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("LineChart", () => {
  it("draws at its box's measured width, 180 px tall, so its text is not scaled down", () => {
    let resize: ((entries: { contentRect: { width: number } }[]) => void) | undefined;
    vi.stubGlobal(
      "ResizeObserver",
      class {
        constructor(cb: typeof resize) {
          resize = cb;
        }
        observe() {}
        disconnect() {}
      },
    );
    const now = Date.UTC(2026, 11, 2, 12);
    render(
      <LineChart
        title="Throughput"
        nowMs={now}
        windowMs={60_000}
        format={String}
        series={[
          {
            label: "In",
            color: "red",
            points: [
              [now - 30_000, 5],
              [now, 10],
            ],
          },
        ]}
      />,
    );
    const svg = screen.getByRole("img", { name: /^Throughput/ });
    act(() => resize?.([{ contentRect: { width: 352.6 } }]));
    expect(svg.getAttribute("width")).toBe("352");
    expect(svg.getAttribute("height")).toBe("180");
    expect(svg.getAttribute("viewBox")).toBe("0 0 352 180");
    // The "now" label sits at the right edge of the real width.
    const nowLabel = [...svg.querySelectorAll("text")].find((t) => t.textContent === "now");
    expect(Number(nowLabel?.getAttribute("x"))).toBeGreaterThan(330);
  });
});
