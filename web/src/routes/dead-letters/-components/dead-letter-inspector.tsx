import { skipToken, useQuery } from "@connectrpc/connect-query";
import { AdminService, type DeadLetter } from "@langtian/proto";
import { useEffect, useMemo, useRef } from "react";
import { formatBytes, formatTime, hexDump } from "../../../ui/format.ts";
import { QueryView } from "../../../ui/query-state.tsx";
import { decodeRaw } from "./decode-raw.ts";

/**
 * A dead letter's size as listed: "not kept" when no bytes were kept (a record too large for
 * Kafka keeps no value; its error names the size it had), rather than a misleading "0 B".
 */
export function rawSize(bytes: number): string {
  return bytes === 0 ? "not kept" : formatBytes(bytes);
}

/**
 * One dead letter in a side panel: where it came from, why it failed, its raw bytes as hex and
 * every decoding of them. Escape or Close returns to the list.
 */
export function DeadLetterInspector({
  id,
  onClose,
  replay,
}: {
  id: string;
  onClose: () => void;
  /** The replay button (disabled with its reason for viewers). */
  replay: (deadLetter: DeadLetter) => React.ReactNode;
}) {
  // Raw bytes can be large and hold anything: never kept in the offline cache.
  const query = useQuery(AdminService.method.getDeadLetter, id === "" ? skipToken : { id }, {
    meta: { offline: false },
  });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <aside
      className="drawer dl-inspector"
      role="dialog"
      aria-modal="false"
      aria-labelledby="inspector-title"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <header className="panel-header">
        <h2 id="inspector-title" ref={heading} tabIndex={-1}>
          Dead letter
        </h2>
        <button type="button" onClick={onClose} aria-label="Close the inspector">
          Close
        </button>
      </header>
      <QueryView query={query} loadingLabel="Loading the dead letter…">
        {(data) =>
          data.deadLetter === undefined ? null : (
            <DeadLetterDetail deadLetter={data.deadLetter} replay={replay(data.deadLetter)} />
          )
        }
      </QueryView>
    </aside>
  );
}

function DeadLetterDetail({ deadLetter: d, replay }: { deadLetter: DeadLetter; replay: React.ReactNode }) {
  const attempts = useMemo(() => decodeRaw(d.raw), [d.raw]);
  const o = d.origin;
  const fields: [string, React.ReactNode][] = [
    [
      "Id",
      <span key="id" className="mono" data-testid="inspector-id">
        {d.id}
      </span>,
    ],
    ["Stage", d.stage],
    [
      "Reason",
      <span key="reason" className="mono">
        {d.reason}
      </span>,
    ],
    ["Failed at", formatTime(d.failedAt)],
    [
      "Error",
      <span key="error" className="dl-error">
        {d.error || "—"}
      </span>,
    ],
  ];
  if (d.eventId !== "")
    fields.push(["Event", <span key="event" className="mono">{`${d.eventType} ${d.eventId}`}</span>]);
  if (o !== undefined) {
    if (o.subject !== "") fields.push(["NATS subject", o.subject]);
    if (o.streamSequence !== 0n) fields.push(["Stream sequence", String(o.streamSequence)]);
    if (o.topic !== "") fields.push(["Kafka", `${o.topic} / partition ${o.partition} / offset ${o.offset}`]);
    if (o.lakeSource !== "")
      fields.push(["Lake writer source", `${o.lakeSource} / ${o.lakePartition} / ${o.lakePosition}`]);
    if (o.listener !== "") fields.push(["Listener", o.listener]);
  }
  return (
    <div className="dl-detail">
      <dl className="dl-fields">
        {fields.map(([k, v]) => (
          <div key={k} className="dl-pair">
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <div className="dl-actions">{replay}</div>
      <h3>Raw bytes ({rawSize(d.raw.length)})</h3>
      {d.raw.length === 0 ? (
        <p className="hint">No bytes kept (a record too large for Kafka keeps no value).</p>
      ) : (
        <pre className="dl-hex" data-testid="hex-dump">
          {hexDump(d.raw)}
        </pre>
      )}
      <h3>Decoded</h3>
      {attempts.map((a) => (
        <details key={a.label} className="dl-attempt" open={a.ok}>
          <summary>
            {a.label}{" "}
            <span className={`badge ${a.ok ? "badge-ok" : "badge-bad"}`}>{a.ok ? "decoded" : "failed"}</span>
          </summary>
          {a.ok ? (
            <pre data-testid={`decoded-${a.label}`}>{a.text}</pre>
          ) : (
            <p className="field-error" data-testid={`failed-${a.label}`}>
              {a.text}
            </p>
          )}
        </details>
      ))}
    </div>
  );
}
