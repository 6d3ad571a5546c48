import type { JsonValue } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { useQuery } from "@connectrpc/connect-query";
import { type At, type GetEventResponse, type Lineage, QueryService } from "@langtian/proto";
import { type KeyboardEvent, useEffect, useRef } from "react";
import { useAuthState } from "../../../api/use-auth.ts";
import { formatTime, hexDump, timestampMs } from "../../../ui/format.ts";
import { EmptyState, QueryView } from "../../../ui/query-state.tsx";
import { base64Bytes, cellText, ENVELOPE_COLUMNS, isTimestampType, recordOf } from "./event-cells.ts";

/**
 * One event over the list: its envelope, its decoded payload and its lineage, from GetEvent at
 * the view's snapshot. A non-modal dialog: focus moves into it when it opens; Escape (or Close)
 * closes it and the list takes focus back.
 */
export function EventDrawer({
  eventId,
  at,
  onClose,
}: {
  eventId: string;
  at: At | undefined;
  onClose: () => void;
}) {
  const event = useQuery(QueryService.method.getEvent, { eventId, ...(at === undefined ? {} : { at }) });
  const heading = useRef<HTMLHeadingElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: focus moves in for each event opened
  useEffect(() => {
    heading.current?.focus();
  }, [eventId]);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== "Escape") return;
    e.preventDefault();
    e.stopPropagation();
    onClose();
  };
  return (
    <dialog open className="drawer event-drawer" aria-labelledby="event-drawer-title" onKeyDown={onKeyDown}>
      <header className="event-drawer-header">
        <h2 id="event-drawer-title" ref={heading} tabIndex={-1}>
          Event <span className="mono">{eventId}</span>
        </h2>
        <button type="button" onClick={onClose} aria-label="Close event">
          Close
        </button>
      </header>
      <QueryView query={event} loadingLabel="Loading the event…">
        {(data) => <EventDetails data={data} />}
      </QueryView>
    </dialog>
  );
}

function EventDetails({ data }: { data: GetEventResponse }) {
  const record = recordOf(data.columns, data.row);
  const types = new Map(data.columns.map((c) => [c.name, c.type]));
  const envelope = data.columns.filter((c) => (ENVELOPE_COLUMNS as readonly string[]).includes(c.name));
  const payload = data.columns.filter(
    (c) => !(ENVELOPE_COLUMNS as readonly string[]).includes(c.name) && c.name !== "payload",
  );
  const raw = typeof record.payload === "string" ? base64Bytes(record.payload) : undefined;
  return (
    <div className="event-details">
      <p className="muted">
        Table <span className="mono">{data.table}</span>
      </p>
      <TraceLine traceparent={record.traceparent} />
      {data.lineage === undefined ? null : (
        <LineageTimeline lineage={data.lineage} eventTime={record.event_timestamp} />
      )}
      <section aria-labelledby="event-payload">
        <h3 id="event-payload">Payload</h3>
        {payload.length === 0 ? (
          <EmptyState title="No decoded payload fields" />
        ) : (
          <FieldList names={payload.map((c) => c.name)} record={record} types={types} />
        )}
        {raw === undefined ? null : (
          <>
            <h4>Undecoded payload ({raw.length} bytes)</h4>
            <pre>{hexDump(raw)}</pre>
          </>
        )}
      </section>
      <section aria-labelledby="event-envelope">
        <h3 id="event-envelope">Envelope</h3>
        <FieldList names={envelope.map((c) => c.name)} record={record} types={types} />
      </section>
    </div>
  );
}

/** The trace id of a W3C `traceparent` ("00-<trace id>-<span id>-<flags>"), if it is one. */
export function traceIdOf(traceparent: JsonValue | undefined): string | undefined {
  if (typeof traceparent !== "string") return undefined;
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}/.exec(traceparent);
  return m?.[1] === undefined || /^0+$/.test(m[1]) ? undefined : m[1];
}

/** The event's trace: its id, linked to where the deployment shows traces when the admin names it. */
function TraceLine({ traceparent }: { traceparent: JsonValue | undefined }) {
  const traceUrl = useAuthState().user?.traceUrl;
  const traceId = traceIdOf(traceparent);
  if (traceId === undefined) return null;
  return (
    <p className="event-trace" data-testid="event-trace">
      Trace <span className="mono">{traceId}</span>
      {traceUrl === undefined ? null : (
        <>
          {" "}
          <a href={traceUrl.replaceAll("{traceId}", traceId)} target="_blank" rel="noreferrer">
            Open the trace
          </a>
        </>
      )}
    </p>
  );
}

function FieldList({
  names,
  record,
  types,
}: {
  names: readonly string[];
  record: Record<string, JsonValue>;
  types: Map<string, string>;
}) {
  return (
    <dl className="event-fields">
      {names.map((name) => {
        const value = record[name];
        const type = types.get(name) ?? "";
        return (
          <div key={name} className="event-field">
            <dt className="mono" title={type}>
              {name}
            </dt>
            <dd>
              {value === null || value === undefined ? (
                <span className="muted">null</span>
              ) : typeof value === "object" ? (
                <pre>{JSON.stringify(value, null, 2)}</pre>
              ) : isTimestampType(type) && typeof value === "string" ? (
                <time dateTime={value} title={value}>
                  {formatTime(Date.parse(value))}
                </time>
              ) : (
                <span className="mono">{cellText(value)}</span>
              )}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

/** "+1.234 s" after the previous step; empty without both times. */
function delta(ms: number | undefined, previousMs: number | undefined): string {
  if (ms === undefined || previousMs === undefined) return "";
  const d = ms - previousMs;
  const abs = Math.abs(d);
  const text =
    abs < 1000
      ? `${abs} ms`
      : abs < 60_000
        ? `${(abs / 1000).toFixed(3)} s`
        : abs < 3_600_000
          ? `${(abs / 60_000).toFixed(1)} min`
          : abs < 86_400_000
            ? `${(abs / 3_600_000).toFixed(1)} h`
            : `${(abs / 86_400_000).toFixed(1)} d`;
  return `${d < 0 ? "−" : "+"}${text}`;
}

/**
 * Where the event came from and when it landed: device time → received by the collector →
 * read from Kafka (topic, partition, offset) → committed in a lake snapshot, each step with the
 * time since the one before.
 */
export function LineageTimeline({
  lineage,
  eventTime,
}: {
  lineage: Lineage;
  eventTime: JsonValue | undefined;
}) {
  const deviceMs = typeof eventTime === "string" ? Date.parse(eventTime) : undefined;
  const receivedMs = timestampMs(lineage.receivedTime);
  const committed: Timestamp | undefined = lineage.committedTime ?? lineage.snapshotTime;
  const committedMs = timestampMs(committed);
  const kafka = lineage.source.startsWith("kafka:");
  const steps = [
    { label: "Device time", time: deviceMs, detail: "event_timestamp, set by the device", since: undefined },
    { label: "Received", time: receivedMs, detail: "by the collector", since: deviceMs },
    {
      label: kafka ? "Kafka offset" : "Stream position",
      time: undefined,
      detail: `${lineage.source || "unknown source"} · partition ${lineage.partition || "—"} · ${
        kafka ? "offset" : "position"
      } ${String(lineage.position)}`,
      since: undefined,
    },
    {
      label: `Committed in snapshot #${String(lineage.snapshotId)}`,
      time: committedMs,
      detail:
        lineage.committedTime === undefined
          ? "snapshot time (the writer recorded no commit time)"
          : `snapshot began ${formatTime(lineage.snapshotTime)}`,
      since: receivedMs,
    },
  ];
  return (
    <section aria-labelledby="event-lineage">
      <h3 id="event-lineage">Lineage</h3>
      <ol className="lineage" data-testid="lineage">
        {steps.map((s) => (
          <li key={s.label} className="lineage-step">
            <span className="lineage-dot" aria-hidden="true" />
            <div>
              <strong>{s.label}</strong>
              {s.time === undefined ? null : (
                <>
                  {" "}
                  <time dateTime={new Date(s.time).toISOString()}>{formatTime(s.time)}</time>{" "}
                  <span className="muted">{delta(s.time, s.since)}</span>
                </>
              )}
              <div className="muted lineage-detail">{s.detail}</div>
            </div>
          </li>
        ))}
      </ol>
      {lineage.file === "" ? null : (
        <p className="muted lineage-file">
          File <span className="mono">{lineage.file}</span>
        </p>
      )}
    </section>
  );
}
