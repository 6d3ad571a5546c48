import { useQuery } from "@connectrpc/connect-query";
import { QueryService } from "@langtian/proto";
import { formatTime } from "../../../ui/format.ts";

/**
 * Time travel: the lake as of one snapshot (ListSnapshots, newest first), or the latest. The
 * choice goes into the URL; browsing, the drawer and the export then read that snapshot.
 */
export function SnapshotPicker({
  snapshot,
  pinned,
  onChange,
}: {
  /** The snapshot chosen in the URL; undefined = the latest. */
  snapshot: number | undefined;
  /** The snapshot the latest view read (shown beside "Latest"). */
  pinned: bigint | undefined;
  onChange: (snapshot: number | undefined) => void;
}) {
  const snapshots = useQuery(QueryService.method.listSnapshots, { limit: 200 });
  const list = snapshots.data?.snapshots ?? [];
  const known = snapshot === undefined || list.some((s) => Number(s.snapshotId) === snapshot);
  return (
    <label className="snapshot-picker">
      Snapshot
      <select
        value={snapshot === undefined ? "" : String(snapshot)}
        onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
        aria-describedby={snapshots.isError ? "snapshot-error" : undefined}
      >
        <option value="">Latest{pinned === undefined ? "" : ` (#${pinned})`}</option>
        {known ? null : <option value={String(snapshot)}>#{snapshot}</option>}
        {list.map((s) => (
          <option key={String(s.snapshotId)} value={String(s.snapshotId)}>
            #{String(s.snapshotId)} · {formatTime(s.time)}
          </option>
        ))}
      </select>
      {snapshots.isError ? (
        <span id="snapshot-error" className="field-error">
          snapshots unavailable
        </span>
      ) : null}
    </label>
  );
}
