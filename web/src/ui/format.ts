import type { Timestamp } from "@bufbuild/protobuf/wkt";

/** Milliseconds since the epoch of a protobuf Timestamp (undefined stays undefined). */
export function timestampMs(ts: Timestamp | undefined): number | undefined {
  if (ts === undefined) return undefined;
  return Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
}

/** A Timestamp or epoch ms as local date and time with milliseconds; "—" when absent. */
export function formatTime(value: Timestamp | number | undefined): string {
  const ms = typeof value === "number" ? value : timestampMs(value);
  if (ms === undefined || ms === 0) return "—";
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** How long ago, in words a person reads at a glance: "12 s", "5 min", "3 h", "2 d". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** A count with thousands separators (bigint or number). */
export function formatCount(n: bigint | number): string {
  return n.toLocaleString("en-US");
}

/** A rate per second, short: "0", "12.5", "1.2k", "3.4M". */
export function formatRate(perSecond: number): string {
  if (perSecond < 1000)
    return perSecond < 10 ? perSecond.toFixed(1).replace(/\.0$/, "") : perSecond.toFixed(0);
  if (perSecond < 1e6) return `${(perSecond / 1e3).toFixed(1)}k`;
  return `${(perSecond / 1e6).toFixed(1)}M`;
}

/** Bytes in binary units: "512 B", "1.5 KiB", "20.0 MiB". */
export function formatBytes(bytes: bigint | number): string {
  const n = Number(bytes);
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Bytes as hex, 16 per line with offsets, for raw payloads. */
export function hexDump(bytes: Uint8Array, maxBytes = 4096): string {
  const lines: string[] = [];
  const shown = bytes.subarray(0, maxBytes);
  for (let offset = 0; offset < shown.length; offset += 16) {
    const row = shown.subarray(offset, offset + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const text = [...row].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${text}`);
  }
  if (bytes.length > maxBytes) lines.push(`… ${bytes.length - maxBytes} more bytes`);
  return lines.join("\n");
}
