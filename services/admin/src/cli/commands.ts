import { toJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import {
  type AdminService,
  DrainInstanceResponseSchema,
  ListAuditResponseSchema,
  type Overview,
  OverviewSchema,
  Phase,
  type TailedEvent,
  TailResponseSchema,
} from "@langtian/proto";
import { formatTable } from "./table.ts";

/** Exit codes of the CLI. */
export const ExitCode = {
  ok: 0,
  /** The call failed (admin unreachable, refused, …). */
  failed: 1,
  /** The command line is wrong. */
  usage: 2,
  /** `status`: some part is not ready or could not be read. */
  degraded: 3,
  /** `drain`: the deadline passed before the instance drained. */
  deadline: 4,
} as const;

/** Where a command writes. */
export interface Output {
  out(text: string): void;
}

/** `langtian status`: the overview; exit 3 when any part is not ready or unreadable. */
export async function status(client: Client<typeof AdminService>, json: boolean, o: Output): Promise<number> {
  const { overview } = await client.getOverview({});
  if (overview === undefined) return ExitCode.failed;
  if (json) o.out(JSON.stringify(toJson(OverviewSchema, overview)));
  else o.out(renderOverview(overview));
  return degraded(overview) ? ExitCode.degraded : ExitCode.ok;
}

function degraded(v: Overview): boolean {
  return (
    v.instances.some((i) => i.error !== "" || !i.ready) ||
    v.streams.some((s) => s.error !== "") ||
    v.topics.some((t) => t.error !== "") ||
    (v.lake?.error ?? "") !== ""
  );
}

/** The overview as tables for a terminal. */
export function renderOverview(v: Overview): string {
  const now = v.time === undefined ? Date.now() : timestampMs(v.time);
  const parts: string[] = [];
  parts.push(
    formatTable(
      ["INSTANCE", "STAGE", "READY", "PHASE", "VERSION", "UPTIME", "PROBLEM"],
      v.instances.map((i) => [
        i.name,
        i.stage,
        i.error !== "" ? "-" : i.ready ? "yes" : "no",
        i.error !== "" ? "-" : (Phase[i.phase] ?? "?").toLowerCase(),
        i.version || "-",
        i.startedAt === undefined ? "-" : duration(now - timestampMs(i.startedAt)),
        i.error ||
          i.dependencies
            .filter((d) => !d.healthy)
            .map((d) => `${d.name}: ${d.detail}`)
            .join("; "),
      ]),
    ),
  );
  if (v.streams.length > 0)
    parts.push(
      formatTable(
        ["STREAM", "MESSAGES", "BYTES", "CONSUMER", "PENDING", "ACK PENDING", "PROBLEM"],
        v.streams.flatMap((s) =>
          s.consumers.length === 0
            ? [[s.name, String(s.messages), String(s.bytes), "-", "-", "-", s.error]]
            : s.consumers.map((c) => [
                s.name,
                String(s.messages),
                String(s.bytes),
                c.name,
                String(c.pending),
                String(c.ackPending),
                s.error,
              ]),
        ),
      ),
    );
  if (v.topics.length > 0)
    parts.push(
      formatTable(
        ["TOPIC", "PARTITION", "END OFFSET", "IN LAKE", "LAKE LAG", "PROBLEM"],
        v.topics.flatMap((t) =>
          t.partitions.length === 0
            ? [[t.name, "-", "-", "-", "-", t.error]]
            : t.partitions.map((p) => [
                t.name,
                String(p.partition),
                String(p.endOffset),
                p.lakePosition < 0n ? "-" : String(p.lakePosition),
                p.lakeLag < 0n ? "-" : String(p.lakeLag),
                "",
              ]),
        ),
      ),
    );
  const lake = v.lake;
  if (lake !== undefined)
    parts.push(
      lake.error !== ""
        ? `LAKE  ${lake.error}`
        : formatTable(
            ["TABLE", "ROWS", "FILES", "BYTES"],
            lake.tables.map((t) => [t.name, String(t.rows), String(t.files), String(t.bytes)]),
          ) +
            `\nsnapshot ${lake.snapshotId}, last commit ${lake.lastCommitTime === undefined ? "-" : `${duration(now - timestampMs(lake.lastCommitTime))} ago`}`,
    );
  return parts.join("\n\n");
}

/** `langtian drain <instance>`: streams progress; exit 4 when the deadline passed. */
export async function drain(
  client: Client<typeof AdminService>,
  request: { instance: string; force: boolean; deadlineMs: number },
  token: string | undefined,
  json: boolean,
  o: Output,
): Promise<number> {
  let exceeded = false;
  for await (const step of client.drainInstance(
    request,
    token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  )) {
    if (json) o.out(JSON.stringify(toJson(DrainInstanceResponseSchema, step)));
    else
      o.out(
        `${(Phase[step.phase] ?? "?").toLowerCase().padEnd(9)} ${step.detail}${countersText(step.counters)}`,
      );
    exceeded ||= step.deadlineExceeded;
  }
  return exceeded ? ExitCode.deadline : ExitCode.ok;
}

function countersText(counters: Record<string, number>): string {
  const entries = Object.entries(counters);
  return entries.length === 0 ? "" : `  (${entries.map(([k, v]) => `${k} ${v}`).join(", ")})`;
}

/** `langtian audit`: the audit log, newest first. */
export async function audit(
  client: Client<typeof AdminService>,
  limit: number,
  token: string | undefined,
  json: boolean,
  o: Output,
): Promise<number> {
  const response = await client.listAudit(
    { limit },
    token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  );
  if (json) o.out(JSON.stringify(toJson(ListAuditResponseSchema, response)));
  else
    o.out(
      formatTable(
        ["SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "RESULT", "DETAIL"],
        response.entries.map((e) => [
          String(e.sequence),
          e.time === undefined ? "-" : new Date(timestampMs(e.time)).toISOString(),
          e.actor,
          e.action,
          e.target,
          e.result,
          e.detail,
        ]),
      ),
    );
  return ExitCode.ok;
}

/** `langtian tail <subject>`: follows the events until interrupted (or `limit` events came). */
export async function tail(
  client: Client<typeof AdminService>,
  request: { subjectFilter: string; maxEventsPerSecond: number; sample: number },
  limit: number | undefined,
  json: boolean,
  o: Output,
  signal?: AbortSignal,
): Promise<number> {
  let events = 0;
  // Ends the call itself when the limit is reached: leaving the loop alone keeps the response open.
  const call = new AbortController();
  signal?.addEventListener("abort", () => call.abort(), { once: true });
  try {
    for await (const response of client.tail(request, { signal: call.signal })) {
      if (json) o.out(JSON.stringify(toJson(TailResponseSchema, response)));
      else {
        if (response.skipped > 0n) o.out(`… ${response.skipped} skipped`);
        if (response.event !== undefined) o.out(eventLine(response.event));
      }
      if (response.event !== undefined && limit !== undefined && ++events >= limit) {
        call.abort();
        break;
      }
    }
  } catch (err) {
    // Interrupted by the user (Ctrl-C), or the limit reached: a normal end of a tail.
    if (call.signal.aborted) return ExitCode.ok;
    throw err;
  }
  return ExitCode.ok;
}

/** One event on one line: time, subject, id, type, source, then the payload. */
function eventLine(e: TailedEvent): string {
  const time = e.eventTimestamp === undefined ? "-" : new Date(timestampMs(e.eventTimestamp)).toISOString();
  const payload =
    e.payloadJson !== ""
      ? e.payloadJson
      : e.rawPayload.length > 0
        ? `<${e.rawPayload.length} bytes ${e.payloadType}>`
        : "";
  return [time, e.subject, e.eventId || "-", e.eventType || "-", e.sourceSystem || "-", payload, e.error]
    .filter((part) => part !== "")
    .join("  ");
}

/** `3d 4h`, `5m 2s`, `800ms`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  const units: [number, string][] = [
    [Math.floor(s / 86400), "d"],
    [Math.floor((s % 86400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "m"],
    [s % 60, "s"],
  ];
  const first = units.findIndex(([n]) => n > 0);
  return units
    .slice(first, first + 2)
    .map(([n, u]) => `${n}${u}`)
    .join(" ");
}
