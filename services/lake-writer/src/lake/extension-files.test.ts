import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { MissingExtensionsError, requireDuckdbExtensions } from "@langtian/lake";
import { duckdbExtensionFiles } from "@langtian/provision";

describe("the lake writer's DuckDB extension files", () => {
  const dir = mkdtempSync(join(tmpdir(), "langtian-extensions-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a folder that lacks files, naming each missing one", async () => {
    const expected = duckdbExtensionFiles(dir).files;
    mkdirSync(dirname(expected.ducklake), { recursive: true });
    writeFileSync(expected.ducklake, "");
    writeFileSync(expected.httpfs, "");
    await assert.rejects(requireDuckdbExtensions(dir), (err: unknown) => {
      assert.ok(err instanceof MissingExtensionsError);
      assert.ok(err.message.includes(expected.sqlite_scanner), err.message);
      assert.ok(err.message.includes(expected.postgres_scanner), err.message);
      assert.ok(!err.message.includes(expected.ducklake), "present files are not named");
      return true;
    });
  });

  it("returns the file paths once every file is there", async () => {
    const expected = duckdbExtensionFiles(dir);
    for (const file of Object.values(expected.files)) writeFileSync(file, "");
    assert.deepEqual(await requireDuckdbExtensions(dir), expected);
  });
});
