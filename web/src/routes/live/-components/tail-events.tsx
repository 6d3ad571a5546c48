import type { TailedEvent } from "@langtian/proto";
import { Fragment } from "react";
import { formatTime, hexDump } from "../../../ui/format.ts";
import type { ReceivedEvent } from "./use-tail.ts";

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function EventDetail({ event }: { event: TailedEvent }) {
  const attributes = Object.entries(event.attributes);
  return (
    <div className="tail-detail">
      <dl>
        <dt>Event id</dt>
        <dd className="mono">{event.eventId || "—"}</dd>
        <dt>Schema version</dt>
        <dd>{event.schemaVersion || "—"}</dd>
        <dt>Partition key</dt>
        <dd className="mono">{event.partitionKey || "—"}</dd>
        <dt>Event time</dt>
        <dd>{formatTime(event.eventTimestamp)}</dd>
        <dt>Received</dt>
        <dd>{formatTime(event.receivedTimestamp)}</dd>
        <dt>Payload type</dt>
        <dd className="mono">{event.payloadType || "—"}</dd>
        {attributes.length === 0 ? null : (
          <>
            <dt>Attributes</dt>
            <dd className="mono">{attributes.map(([k, v]) => `${k}=${v}`).join(", ")}</dd>
          </>
        )}
      </dl>
      {event.error === "" ? null : <p className="field-error">{event.error}</p>}
      {event.payloadJson !== "" ? (
        <section aria-label="Payload (JSON)">
          <pre>{prettyJson(event.payloadJson)}</pre>
        </section>
      ) : event.rawPayload.length > 0 ? (
        <section aria-label="Payload (raw bytes)">
          <pre>{hexDump(event.rawPayload)}</pre>
        </section>
      ) : null}
    </div>
  );
}

/**
 * The events tailed, newest first, decoded: a row each, its payload and envelope shown below it
 * on demand (a button per row, so the keyboard reaches every one). Which rows are open is the
 * page's (`open`, `onToggle`): the page stops following while one is, so it stays in place.
 */
export function TailEvents({
  events,
  open,
  onToggle,
}: {
  events: readonly ReceivedEvent[];
  /** Sequence numbers of the rows shown open. */
  open: ReadonlySet<number>;
  onToggle: (seq: number) => void;
}) {
  const toggle = onToggle;
  return (
    <div className="tail-scroll">
      <table className="list tail-table" aria-label="Live events, newest first">
        <thead>
          <tr>
            <th scope="col">Stored</th>
            <th scope="col">Subject</th>
            <th scope="col">Type</th>
            <th scope="col">Source</th>
            <th scope="col">Event id</th>
            <th scope="col">Sequence</th>
            <th scope="col">Payload</th>
          </tr>
        </thead>
        <tbody>
          {events.map(({ seq, event }) => {
            const expanded = open.has(seq);
            return (
              <Fragment key={seq}>
                <tr className={event.error === "" ? undefined : "tail-error"} data-testid="tail-row">
                  <td className="mono">{formatTime(event.storedAt).slice(11)}</td>
                  <td className="mono">{event.subject}</td>
                  <td>{event.eventType || "—"}</td>
                  <td>{event.sourceSystem || "—"}</td>
                  <td className="mono tail-id">{event.eventId || "—"}</td>
                  <td className="mono">{String(event.streamSequence)}</td>
                  <td>
                    <button
                      type="button"
                      aria-expanded={expanded}
                      aria-controls={`tail-detail-${seq}`}
                      onClick={() => toggle(seq)}
                    >
                      {expanded ? "Hide" : "Show"}
                      <span className="visually-hidden">
                        {" "}
                        event {event.eventId || String(event.streamSequence)}
                      </span>
                    </button>
                    {event.error === "" ? null : <span className="badge badge-bad"> undecoded</span>}
                  </td>
                </tr>
                {expanded ? (
                  <tr id={`tail-detail-${seq}`}>
                    <td colSpan={7}>
                      <EventDetail event={event} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
