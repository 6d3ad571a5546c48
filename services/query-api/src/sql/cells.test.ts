import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { jsonOf, rfc3339FromMicros, rfc3339OfTimestamp, rowsOf, timestampOf } from "./cells.ts";

describe("cells", () => {
  it("writes timestamps as RFC 3339 UTC to the microsecond, before the epoch too", () => {
    assert.equal(rfc3339FromMicros(1_764_676_559_519_240n), "2025-12-02T11:55:59.519240Z");
    assert.equal(rfc3339FromMicros(-1n), "1969-12-31T23:59:59.999999Z");
    assert.equal(
      rfc3339OfTimestamp({ seconds: 1_764_676_559n, nanos: 519_240_000 }),
      "2025-12-02T11:55:59.519240Z",
    );
  });

  it("converts every DuckDB type without losing precision", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const c = await DuckDBConnection.create(instance);
    try {
      const reader = await c.runAndReadAll(
        "SELECT 9007199254740993::BIGINT AS big, 2::INT AS i, 1.5::DOUBLE AS d, 12.34::DECIMAL(10,2) AS dec, " +
          "TIMESTAMPTZ '2026-11-27 12:00:00.000123+00' AS ts, 'ab'::BLOB AS bl, '{\"a\":[1,2]}'::JSON AS j, " +
          "[1, 2] AS l, {'k': 'v'} AS s, NULL AS n, true AS b, 'x' AS v, 'nan'::DOUBLE AS nan",
      );
      const row = reader.getRows()[0] ?? assert.fail("no row");
      const types = reader.columnTypes();
      assert.deepEqual(
        row.map((v, i) => jsonOf(v, types[i])),
        [
          "9007199254740993",
          2,
          1.5,
          "12.34",
          "2026-11-27T12:00:00.000123Z",
          Buffer.from("ab").toString("base64"),
          { a: [1, 2] },
          [1, 2],
          { k: "v" },
          null,
          true,
          "x",
          "NaN",
        ],
      );
      const ts = timestampOf(row[4] ?? null);
      assert.deepEqual([ts?.seconds, ts?.nanos], [BigInt(Date.UTC(2026, 10, 27, 12) / 1000), 123_000]);
      const [converted] = rowsOf([row], types);
      assert.equal(toJson(ValueSchema, converted?.cells[0] ?? assert.fail()), "9007199254740993");
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  });
});
