import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sumMetric } from "./node-service.ts";

describe("sumMetric", () => {
  const text = [
    "# HELP langtian_x_rows_total Rows.",
    "# TYPE langtian_x_rows_total counter",
    'langtian_x_rows_total{partition="0"} 3',
    'langtian_x_rows_total{partition="1"} 4',
    "langtian_x_rows_total_extra 100",
    "langtian_x_lag 7",
  ].join("\n");

  it("adds a metric over its label sets and ignores longer names", () => {
    assert.equal(sumMetric(text, "langtian_x_rows_total"), 7);
    assert.equal(sumMetric(text, "langtian_x_lag"), 7);
  });

  it("tells an absent metric from a zero one", () => {
    assert.equal(sumMetric(text, "langtian_x_missing"), undefined);
    assert.equal(sumMetric("langtian_x_zero 0", "langtian_x_zero"), 0);
  });
});
