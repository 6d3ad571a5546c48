import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { counterTotals, isErrorCounter } from "./metrics-text.ts";

describe("metrics text", () => {
  it("sums each counter over its labels, by short name; gauges and histograms are left out", () => {
    const text = [
      "# HELP langtian_bridge_messages_acked_total Acked.",
      "# TYPE langtian_bridge_messages_acked_total counter",
      'langtian_bridge_messages_acked_total{topic="a"} 10',
      'langtian_bridge_messages_acked_total{topic="b"} 5',
      "# TYPE langtian_lake_writer_rows_written_total counter",
      "langtian_lake_writer_rows_written_total 7",
      "# TYPE langtian_bridge_in_flight gauge",
      "langtian_bridge_in_flight 3",
      "# TYPE langtian_bridge_latency_seconds histogram",
      'langtian_bridge_latency_seconds_bucket{le="1"} 4',
      "",
    ].join("\n");
    assert.deepEqual(
      [...counterTotals(text)],
      [
        ["messages_acked", 15],
        ["rows_written", 7],
      ],
    );
  });

  it("tells failure counters from progress counters", () => {
    for (const name of [
      "decode_errors",
      "commit_failures",
      "rpc_requests_refused",
      "dead_letters",
      "duplicates_dropped",
    ])
      assert.equal(isErrorCounter(name), true, name);
    for (const name of ["rows_written", "messages_acked", "events_published"])
      assert.equal(isErrorCounter(name), false, name);
  });
});
