import { useLayoutEffect, useRef, useState } from "react";
import "./line-chart.css";

/** One line of a {@link LineChart}: its points as [time ms, value]. */
export interface ChartSeries {
  readonly label: string;
  /** A CSS colour, usually a theme variable: "var(--accent)". */
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

/** Drawn at the width its box has (measured), so 11 px text stays 11 px; this until measured. */
const DEFAULT_WIDTH = 600;
/** Pixels, as drawn: a plot about 150 px tall under the title. */
const HEIGHT = 180;
const PAD = { left: 52, right: 10, top: 10, bottom: 22 } as const;
/** Points further apart than this are not joined (the page was closed, the stream was down). */
const GAP_MS = 30_000;

/** 1, 2 or 5 times a power of ten, at least `v`: a round top for the axis. */
function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * A small time-series chart, hand-written SVG (no chart library: the UI's bundle stays small).
 * The last `windowMs` up to `nowMs`; lines break where samples are missing. For screen readers
 * the figure is described in words (latest and highest value of each line), and the legend
 * shows the latest values as text.
 */
export function LineChart({
  title,
  series,
  nowMs,
  windowMs,
  format,
}: {
  title: string;
  series: readonly ChartSeries[];
  nowMs: number;
  windowMs: number;
  format: (v: number) => string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const width = useBoxWidth(box);
  const from = nowMs - windowMs;
  let max = 0;
  for (const s of series) for (const [t, v] of s.points) if (t >= from && v > max) max = v;
  const top = niceCeil(max);
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + ((t - from) / windowMs) * plotW;
  const y = (v: number) => PAD.top + plotH - (Math.min(v, top) / top) * plotH;
  const pathOf = (points: ChartSeries["points"]) => {
    let d = "";
    let prev: number | undefined;
    for (const [t, v] of points) {
      if (t < from) continue;
      const cmd = prev === undefined || t - prev > GAP_MS ? "M" : "L";
      d += `${cmd}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      prev = t;
    }
    return d;
  };
  const latest = (s: ChartSeries) => s.points.at(-1)?.[1];
  const description = series
    .map((s) => {
      const last = latest(s);
      const peak = s.points.reduce((m, [t, v]) => (t >= from && v > m ? v : m), 0);
      return `${s.label} ${last === undefined ? "no data" : format(last)}, highest ${format(peak)}`;
    })
    .join("; ");
  const minutes = Math.round(windowMs / 60_000);
  return (
    <figure className="chart">
      <figcaption className="chart-title">{title}</figcaption>
      <div ref={box} className="chart-plot">
        <svg
          viewBox={`0 0 ${width} ${HEIGHT}`}
          width={width}
          height={HEIGHT}
          role="img"
          aria-label={`${title} over the last ${minutes} minutes: ${description}`}
        >
          {[0, 0.5, 1].map((f) => (
            <g key={f}>
              <line
                className="chart-grid"
                x1={PAD.left}
                x2={width - PAD.right}
                y1={y(top * f)}
                y2={y(top * f)}
              />
              <text className="chart-axis" x={PAD.left - 6} y={y(top * f) + 4} textAnchor="end">
                {format(top * f)}
              </text>
            </g>
          ))}
          <text className="chart-axis" x={PAD.left} y={HEIGHT - 6}>
            −{minutes} min
          </text>
          <text
            className="chart-axis"
            x={(PAD.left + width - PAD.right) / 2}
            y={HEIGHT - 6}
            textAnchor="middle"
          >
            −{Math.round(minutes / 2)} min
          </text>
          <text className="chart-axis" x={width - PAD.right} y={HEIGHT - 6} textAnchor="end">
            now
          </text>
          {series.map((s) => (
            <path key={s.label} d={pathOf(s.points)} className="chart-line" style={{ stroke: s.color }} />
          ))}
        </svg>
      </div>
      <ul className="chart-legend">
        {series.map((s) => {
          const last = latest(s);
          return (
            <li key={s.label}>
              <span className="chart-swatch" style={{ background: s.color }} aria-hidden="true" />
              {s.label} <strong>{last === undefined ? "—" : format(last)}</strong>
            </li>
          );
        })}
      </ul>
    </figure>
  );
}

/**
 * The width of `box` in whole pixels, following resizes (ResizeObserver); {@link DEFAULT_WIDTH}
 * until it is laid out (and where nothing is, as in tests).
 */
function useBoxWidth(box: React.RefObject<HTMLDivElement | null>): number {
  const [width, setWidth] = useState(DEFAULT_WIDTH);
  useLayoutEffect(() => {
    const el = box.current;
    if (el === null) return;
    const set = (w: number) => {
      if (w > 0) setWidth(Math.floor(w));
    };
    set(el.getBoundingClientRect().width);
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver((entries) => {
      for (const entry of entries) set(entry.contentRect.width);
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [box]);
  return width;
}
