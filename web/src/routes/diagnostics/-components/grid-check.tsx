import type { ColumnDef } from "@tanstack/react-table";
import { useMemo, useRef, useState } from "react";
import { formatCount, formatTime } from "../../../ui/format.ts";
import { VirtualTable } from "../../../ui/virtual-table.tsx";

interface SyntheticRow {
  readonly index: number;
  readonly ts: number;
  readonly device: string;
  readonly type: string;
  readonly value: number;
}

const COLUMNS: ColumnDef<SyntheticRow, unknown>[] = [
  { id: "index", header: "#", accessorFn: (r) => r.index, size: 1 },
  { id: "ts", header: "Time", accessorFn: (r) => formatTime(r.ts), size: 3 },
  { id: "device", header: "Device", accessorFn: (r) => r.device, size: 2 },
  { id: "type", header: "Event type", accessorFn: (r) => r.type, size: 3 },
  { id: "value", header: "Value", accessorFn: (r) => r.value.toFixed(3), size: 1 },
];

const TYPES = ["device.telemetry", "device.status", "device.alarm", "device.config"];

/** Frame times while scrolling, from requestAnimationFrame deltas. */
interface ScrollFigures {
  readonly frames: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  readonly rows: number;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/**
 * Scrolls `element` from top to bottom in `durationMs`, one step per frame, and returns the
 * frame time quantiles (the deltas between requestAnimationFrame callbacks).
 */
function measureScroll(element: HTMLElement, durationMs: number): Promise<Omit<ScrollFigures, "rows">> {
  return new Promise((resolve) => {
    element.scrollTop = 0;
    const deltas: number[] = [];
    let first: number | undefined;
    let last: number | undefined;
    const frame = (now: number) => {
      if (first === undefined) first = now;
      if (last !== undefined) deltas.push(now - last);
      last = now;
      const progress = Math.min(1, (now - first) / durationMs);
      element.scrollTop = progress * (element.scrollHeight - element.clientHeight);
      if (progress < 1) requestAnimationFrame(frame);
      else {
        const sorted = [...deltas].sort((a, b) => a - b);
        resolve({
          frames: deltas.length,
          p50Ms: quantile(sorted, 0.5),
          p95Ms: quantile(sorted, 0.95),
          maxMs: sorted.at(-1) ?? 0,
        });
      }
    };
    requestAnimationFrame(frame);
  });
}

/** A virtual grid of `rows` synthetic events and a scroll test of it (frame time p95). */
export function GridCheck({ rows }: { rows: number }) {
  const data = useMemo(
    () =>
      Array.from({ length: rows }, (_, i) => ({
        index: i,
        ts: Date.UTC(2026, 0, 1) + i * 1000,
        device: `dev-${i % 64}`,
        type: TYPES[i % TYPES.length] ?? "device.telemetry",
        value: Math.sin(i / 100) * 50,
      })),
    [rows],
  );
  const box = useRef<HTMLDivElement>(null);
  const [figures, setFigures] = useState<ScrollFigures | undefined>();
  const [running, setRunning] = useState(false);
  return (
    <section className="panel" aria-labelledby="grid-title">
      <h2 id="grid-title">Grid scrolling check</h2>
      <div className="toolbar">
        <button
          type="button"
          disabled={running}
          data-testid="grid-scroll-run"
          onClick={() => {
            const body = box.current?.querySelector<HTMLElement>(".vtable-body");
            if (body === null || body === undefined) return;
            setRunning(true);
            void measureScroll(body, 3000).then((f) => {
              setFigures({ ...f, rows });
              setRunning(false);
            });
          }}
        >
          {running ? "Scrolling…" : "Scroll top to bottom (3 s)"}
        </button>
        {figures === undefined ? null : (
          <span role="status" data-testid="grid-scroll-result">
            {formatCount(figures.rows)} rows: {formatCount(figures.frames)} frames, frame time p50{" "}
            {figures.p50Ms.toFixed(1)} ms, p95 {figures.p95Ms.toFixed(1)} ms, max {figures.maxMs.toFixed(1)}{" "}
            ms
          </span>
        )}
      </div>
      <div ref={box} data-testid="diagnostics-grid">
        <VirtualTable
          rows={data}
          columns={COLUMNS}
          label={`${formatCount(rows)} synthetic events`}
          getRowId={(r) => String(r.index)}
          heightPx={360}
        />
      </div>
    </section>
  );
}
