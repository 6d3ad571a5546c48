import assert from "node:assert/strict";
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "../../packages/testing/src/index.ts";
import { assertVersionBumped, baseline, contractVersion, diffTrees, protoDir, runCaptured } from "./proto.ts";

const envelopeFile = join("langtian", "envelope", "v1", "envelope.proto");

/** Runs buf in `cwd`, resolving (never rejecting) with its exit code and combined output. */
async function buf(cwd: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const result = await runCaptured("buf", args, { cwd });
  return { code: result.code, output: result.stdout + result.stderr };
}

/**
 * The schema-evolution proof: each case edits a fresh copy of proto/ and runs `buf breaking`
 * against an image of the unedited contracts, exactly as `npm run proto:check` does.
 */
describe("schema evolution rules (buf breaking on a copy of proto/)", () => {
  const root = tempDir("proto-evolution");
  const baselineImage = join(root, "baseline.binpb");
  let caseNumber = 0;

  before(async () => {
    const built = await buf(protoDir, ["build", "--exclude-source-info", "-o", baselineImage]);
    assert.equal(built.code, 0, built.output);
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Copies proto/, applies `edit` to envelope.proto, returns buf breaking's result. */
  async function breakingAfter(edit: (source: string) => string) {
    const copy = join(root, `case-${++caseNumber}`);
    await mkdir(copy, { recursive: true });
    await cp(protoDir, copy, { recursive: true });
    const file = join(copy, envelopeFile);
    const source = await readFile(file, "utf8");
    const edited = edit(source);
    assert.notEqual(edited, source, "the edit must change the file");
    await writeFile(file, edited);
    return buf(copy, ["breaking", "--against", baselineImage]);
  }

  it("accepts adding a field (an additive, MINOR change)", async () => {
    const result = await breakingAfter((s) =>
      s.replace(
        "  google.protobuf.Timestamp received_timestamp = 11;\n",
        (m) => `${m}  string site_code = 12;\n`,
      ),
    );
    assert.equal(result.code, 0, result.output);
  });

  it("rejects changing a field's type, and says which field and how", async () => {
    const result = await breakingAfter((s) =>
      s.replace("string source_system = 5;", "int64 source_system = 5;"),
    );
    assert.notEqual(result.code, 0);
    assert.match(
      result.output,
      /Field "5" with name "source_system" on message "Envelope" changed type from "string" to "int64"/,
    );
  });

  it("rejects removing a field without reserving its number and name", async () => {
    const result = await breakingAfter((s) =>
      s.replace(/ {2}\/\/ Key that keeps.*\n {2}optional string partition_key = 6;\n/, ""),
    );
    assert.notEqual(result.code, 0);
    assert.match(
      result.output,
      /Previously present field "6" with name "partition_key" on message "Envelope" was deleted/,
    );
  });

  it("still rejects removing a reserved field: deletion breaks generated code, so it needs a v2 package", async () => {
    const result = await breakingAfter((s) =>
      s.replace("  optional string partition_key = 6;\n", '  reserved 6;\n  reserved "partition_key";\n'),
    );
    assert.notEqual(result.code, 0);
    assert.match(result.output, /was deleted/);
  });
});

describe("diffTrees (the stale generated code check)", () => {
  it("lists changed, missing and extra files by relative path", async () => {
    const root = tempDir("proto-diff");
    const expected = join(root, "expected");
    const actual = join(root, "actual");
    await mkdir(join(expected, "a"), { recursive: true });
    await mkdir(join(actual, "a"), { recursive: true });
    await writeFile(join(expected, "a", "same.js"), "x");
    await writeFile(join(actual, "a", "same.js"), "x");
    await writeFile(join(expected, "a", "changed.js"), "new");
    await writeFile(join(actual, "a", "changed.js"), "old");
    await writeFile(join(expected, "missing.js"), "m");
    await writeFile(join(actual, "extra.js"), "e");
    assert.deepEqual(await diffTrees(expected, actual), [
      "changed a/changed.js",
      "extra extra.js",
      "missing missing.js",
    ]);
  });
});

describe("contract version (proto/VERSION against the release in proto/baseline)", () => {
  /** A copy of proto/ whose baseline is released (image and VERSION written) as `version`. */
  async function releasedCopy(version: string): Promise<string> {
    const copy = join(tempDir("proto-version"), "proto");
    await cp(protoDir, copy, { recursive: true });
    await writeFile(join(copy, "VERSION"), `${version}\n`);
    await baseline(copy);
    return copy;
  }

  async function addField(copy: string): Promise<void> {
    const file = join(copy, envelopeFile);
    const source = await readFile(file, "utf8");
    const edited = source.replace(
      "  google.protobuf.Timestamp received_timestamp = 11;\n",
      (m) => `${m}  string site_code = 12;\n`,
    );
    assert.notEqual(edited, source, "the edit must change the file");
    await writeFile(file, edited);
  }

  it("records the released version beside the baseline image, and accepts unchanged contracts", async () => {
    const copy = await releasedCopy("1.4.0");
    assert.equal(await readFile(join(copy, "baseline", "VERSION"), "utf8"), "1.4.0\n");
    await assertVersionBumped(copy);
  });

  it("rejects changed contracts that still carry the released version, until VERSION is bumped", async () => {
    const copy = await releasedCopy("1.4.0");
    await addField(copy);
    await assert.rejects(
      assertVersionBumped(copy),
      /changed since release 1\.4\.0.*still says 1\.4\.0: bump it/,
    );
    await assert.rejects(baseline(copy), /still says 1\.4\.0/);

    await writeFile(join(copy, "VERSION"), "1.5.0\n");
    await assertVersionBumped(copy);
    await baseline(copy);
    assert.equal(await readFile(join(copy, "baseline", "VERSION"), "utf8"), "1.5.0\n");
  });

  it("accepts only MAJOR.MINOR.PATCH, which npm, Python and NuGet spell alike", async () => {
    const copy = join(tempDir("proto-version"), "proto");
    await mkdir(copy, { recursive: true });
    for (const bad of ["1.4", "1.4.0-rc.1", "v1.4.0", "01.4.0", ""]) {
      await writeFile(join(copy, "VERSION"), `${bad}\n`);
      await assert.rejects(contractVersion(copy), /must be MAJOR\.MINOR\.PATCH/, bad);
    }
    await writeFile(join(copy, "VERSION"), "10.0.3\n");
    assert.equal(await contractVersion(copy), "10.0.3");
  });

  it("the repository's proto/VERSION is valid and not a released version with other contracts", async () => {
    await contractVersion();
    await assertVersionBumped();
  });
});
