import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Spool, type SpoolOptions } from "./spool.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function options(overrides: Partial<SpoolOptions> = {}): SpoolOptions {
  const dir = mkdtempSync(join(tmpdir(), "collector-spool-"));
  dirs.push(dir);
  return {
    dir,
    maxBytes: 1 << 20,
    segmentBytes: 256,
    fsync: "never",
    fsyncIntervalMs: 100,
    overflow: "reject-new",
    ...overrides,
  };
}

const record = (i: number) => new TextEncoder().encode(`event-${String(i).padStart(4, "0")}`);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("spool", () => {
  it("replays records in append order across segments and deletes replayed segments", () => {
    const spool = Spool.open(options());
    for (let i = 0; i < 50; i++) assert.ok(spool.append(record(i)).ok);
    assert.equal(spool.depth, 50);
    const seen: string[] = [];
    for (let batch = spool.read(7); batch.length > 0; batch = spool.read(7)) {
      seen.push(...batch.map((r) => text(r.body)));
      spool.commit((batch.at(-1) ?? assert.fail()).next, batch.length);
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 50 }, (_, i) => text(record(i))),
    );
    assert.equal(spool.depth, 0);
    assert.equal(spool.bytes, 0);
    spool.close();
  });

  it("survives a crash: uncommitted records come back after reopening, committed ones do not", () => {
    const opts = options();
    const first = Spool.open(opts);
    for (let i = 0; i < 20; i++) first.append(record(i));
    const batch = first.read(5);
    first.commit((batch.at(-1) ?? assert.fail()).next, 5);
    first.read(5); // read but never acknowledged: must be replayed again
    // No close(): the process "dies" here.
    const second = Spool.open(opts);
    assert.equal(second.depth, 15);
    assert.equal(text(second.peekOldest() ?? assert.fail()), text(record(5)));
    assert.deepEqual(
      second.read(100).map((r) => text(r.body)),
      Array.from({ length: 15 }, (_, i) => text(record(i + 5))),
    );
    second.close();
    first.close();
  });

  it("cuts a torn record off the newest segment at open", () => {
    const opts = options({ segmentBytes: 1 << 20 });
    const spool = Spool.open(opts);
    for (let i = 0; i < 3; i++) spool.append(record(i));
    spool.close();
    const segment = readdirSync(opts.dir).find((f) => f.endsWith(".spool")) ?? assert.fail();
    appendFileSync(join(opts.dir, segment), Uint8Array.of(0, 0, 0, 50, 1, 2));
    const reopened = Spool.open(opts);
    assert.equal(reopened.depth, 3);
    reopened.append(record(3));
    assert.deepEqual(
      reopened.read(10).map((r) => text(r.body)),
      [0, 1, 2, 3].map((i) => text(record(i))),
    );
    reopened.close();
  });

  it("rejects new records when full under reject-new", () => {
    const spool = Spool.open(options({ maxBytes: 100 }));
    let accepted = 0;
    while (spool.append(record(accepted)).ok) accepted++;
    assert.equal(accepted, 5); // 5 x (8-byte header + 10-byte body) = 90 bytes
    assert.equal(spool.depth, 5);
    spool.close();
  });

  it("drops whole oldest segments under drop-oldest and reports how many records went", () => {
    const spool = Spool.open(options({ maxBytes: 100, segmentBytes: 36, overflow: "drop-oldest" }));
    let dropped = 0;
    for (let i = 0; i < 10; i++) {
      const result = spool.append(record(i));
      assert.ok(result.ok);
      dropped += result.dropped;
    }
    assert.equal(dropped + spool.depth, 10);
    assert.ok(dropped > 0);
    const remaining = spool.read(100).map((r) => text(r.body));
    assert.equal(remaining.at(-1), text(record(9)));
    assert.equal(remaining.length, spool.depth);
    spool.close();
  });
});
