import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { Delivery, type DeliveryOptions, DeliveryRejectedError } from "./delivery.ts";
import { createCollectorMetrics, type MetricFactory } from "./metrics.ts";
import type { OutboundEvent } from "./outbound-event.ts";
import type { PublishTarget } from "./publish-target.ts";
import { Spool } from "./spool.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function testMetrics() {
  const registry = new Registry();
  const factory: MetricFactory = {
    counter: (o) => new Counter({ ...o, registers: [registry] }),
    gauge: (o) => new Gauge({ ...o, registers: [registry] }),
    histogram: (o) => new Histogram({ ...o, registers: [registry] }),
  };
  return createCollectorMetrics(factory);
}

/** A stream stand-in: dedupes by msgId like JetStream, can be "down" or fail on demand. */
class FakeStream implements PublishTarget {
  readonly ids: string[] = [];
  connected = true;
  /** Publishes that still succeed before the stream fails every one (a lost stream leader). */
  okBeforeDown = Number.POSITIVE_INFINITY;
  gate: Promise<void> | undefined;
  async publish(e: OutboundEvent) {
    await this.gate;
    if (!this.connected) throw new Error("disconnected");
    if (this.okBeforeDown <= 0) throw new Error("no responders");
    this.okBeforeDown--;
    if (this.ids.includes(e.msgId)) return { duplicate: true };
    this.ids.push(e.msgId);
    return { duplicate: false };
  }
  isConnected() {
    return this.connected;
  }
}

const options: DeliveryOptions = {
  maxInFlight: 4,
  stallMs: 60_000,
  replayBatch: 3,
  replayRetryMs: 5,
};

function setup(maxBytes = 1 << 20, extra: Partial<DeliveryOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "collector-delivery-"));
  dirs.push(dir);
  const spool = Spool.open({
    dir,
    maxBytes,
    segmentBytes: 200,
    fsync: "never",
    fsyncIntervalMs: 100,
    overflow: "reject-new",
  });
  const stream = new FakeStream();
  const metrics = testMetrics();
  const delivery = new Delivery(stream, spool, metrics, { ...options, ...extra });
  return { spool, stream, metrics, delivery };
}

const event = (i: number): OutboundEvent => ({
  subject: "eda.events.test",
  msgId: `id-${i}`,
  data: Uint8Array.of(i),
  receivedAtMs: Date.now(),
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 2));
}

describe("delivery", () => {
  it("publishes directly while the stream is healthy", async () => {
    const { stream, delivery, spool } = setup();
    const outcomes = await Promise.all([0, 1, 2].map((i) => delivery.submit(event(i))));
    assert.deepEqual(outcomes, ["published", "published", "published"]);
    assert.equal(spool.depth, 0);
    assert.deepEqual(stream.ids, ["id-0", "id-1", "id-2"]);
    await delivery.close();
    spool.close();
  });

  it("spools while disconnected and replays in order exactly once after reconnecting", async () => {
    const { stream, delivery, spool, metrics } = setup();
    stream.connected = false;
    for (let i = 0; i < 10; i++) assert.equal(await delivery.submit(event(i)), "spooled");
    stream.connected = true;
    // A new event after the reconnect goes behind the spool (or direct once it is empty): order holds.
    const tenth = delivery.submit(event(10));
    delivery.poke();
    await tenth;
    await until(() => spool.depth === 0 && stream.ids.length === 11);
    assert.deepEqual(
      stream.ids,
      Array.from({ length: 11 }, (_, i) => `id-${i}`),
    );
    assert.ok(((await metrics.spoolReplayed.get()).values[0]?.value ?? 0) >= 10);
    assert.equal(await delivery.submit(event(11)), "published");
    await delivery.close();
    spool.close();
  });

  it("sends a failed publish and every one still awaiting its PubAck to the spool, ahead of later events", async () => {
    const { stream, delivery, spool, metrics } = setup();
    let open = () => {};
    stream.gate = new Promise((r) => {
      open = r;
    });
    const first = [0, 1, 2].map((i) => delivery.submit(event(i)));
    await new Promise((resolve) => setImmediate(resolve));
    // 0 is stored, then the stream loses its leader: 1 fails while 2 still awaits its PubAck.
    stream.okBeforeDown = 1;
    open();
    stream.gate = undefined;
    assert.deepEqual(await Promise.all(first), ["published", "spooled", "spooled"]);
    // Arrived after the failure: behind the spooled two, never direct (the stream is back).
    stream.okBeforeDown = Number.POSITIVE_INFINITY;
    assert.equal(await delivery.submit(event(3)), "spooled");
    await until(() => spool.depth === 0);
    assert.deepEqual(stream.ids, ["id-0", "id-1", "id-2", "id-3"]);
    assert.equal(await delivery.submit(event(4)), "published");
    // The failed direct publish, plus any replay attempt made while the stream was still down.
    assert.ok(((await metrics.publishRetries.get()).values[0]?.value ?? 0) >= 1);
    assert.equal((await metrics.spooled.get()).values.find((v) => v.labels.reason === "in_doubt")?.value, 2);
    await delivery.close();
    spool.close();
  });

  it("stops publishing directly when the oldest PubAck is overdue, and replays only after it is answered", async () => {
    const { stream, delivery, spool } = setup(1 << 20, { stallMs: 20 });
    let open = () => {};
    stream.gate = new Promise((r) => {
      open = r;
    });
    const first = [0, 1].map((i) => delivery.submit(event(i)));
    await new Promise((resolve) => setTimeout(resolve, 40));
    // 0 and 1 are overdue: 2 must not overtake them.
    assert.equal(await delivery.submit(event(2)), "spooled");
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(stream.ids, [], "the replay waits for the publishes still out");
    open();
    stream.gate = undefined;
    assert.deepEqual(await Promise.all(first), ["published", "published"]);
    await until(() => spool.depth === 0);
    assert.deepEqual(stream.ids, ["id-0", "id-1", "id-2"]);
    await delivery.close();
    spool.close();
  });

  it("spools new events when the in-flight bound is reached; replays them after the publishes still out", async () => {
    const { stream, delivery, spool } = setup();
    let open = () => {};
    stream.gate = new Promise((r) => {
      open = r;
    });
    const pending = [0, 1, 2, 3].map((i) => delivery.submit(event(i)));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(delivery.inFlight, 4);
    assert.equal(await delivery.submit(event(4)), "spooled");
    open();
    stream.gate = undefined;
    assert.deepEqual(await Promise.all(pending), ["published", "published", "published", "published"]);
    await until(() => spool.depth === 0);
    assert.deepEqual(stream.ids, ["id-0", "id-1", "id-2", "id-3", "id-4"]);
    await delivery.close();
    spool.close();
  });

  it("puts publishes that fail after later events were spooled ahead of those events", async () => {
    const { stream, delivery, spool, metrics } = setup();
    let open = () => {};
    stream.gate = new Promise((r) => {
      open = r;
    });
    const pending = [0, 1, 2, 3].map((i) => delivery.submit(event(i)));
    await new Promise((resolve) => setImmediate(resolve));
    // The bound is reached: 4 and 5 are spooled while 0..3 still await their PubAcks.
    assert.deepEqual(await Promise.all([delivery.submit(event(4)), delivery.submit(event(5))]), [
      "spooled",
      "spooled",
    ]);
    // Then the stream loses its leader: 0 is stored, 1 fails, 2 and 3 are in doubt.
    stream.okBeforeDown = 1;
    open();
    stream.gate = undefined;
    await until(() => stream.ids.length === 1);
    stream.okBeforeDown = Number.POSITIVE_INFINITY;
    assert.deepEqual(await Promise.all(pending), ["published", "published", "published", "published"]);
    await until(() => spool.depth === 0);
    assert.deepEqual(
      stream.ids,
      Array.from({ length: 6 }, (_, i) => `id-${i}`),
    );
    assert.ok(((await metrics.publishRetries.get()).values[0]?.value ?? 0) >= 1);
    await delivery.close();
    spool.close();
  });

  it("writes in-doubt events still in memory to the spool at close, losing none", async () => {
    const { stream, delivery, spool } = setup();
    let open = () => {};
    stream.gate = new Promise((r) => {
      open = r;
    });
    const pending = [0, 1, 2, 3].map((i) => delivery.submit(event(i)));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await delivery.submit(event(4)), "spooled");
    // Every in-flight publish fails and NATS stays away.
    stream.okBeforeDown = 0;
    open();
    stream.gate = undefined;
    await new Promise((resolve) => setTimeout(resolve, 20));
    stream.connected = false;
    assert.deepEqual(await delivery.drain(), { spoolDepth: 5 });
    await delivery.close();
    assert.deepEqual(await Promise.all(pending), ["spooled", "spooled", "spooled", "spooled"]);
    spool.close();
  });

  it("rejects loudly when the spool is full and counts it", async () => {
    const { stream, delivery, spool, metrics } = setup(60);
    stream.connected = false;
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => delivery.submit(event(i))));
    const rejected = results.filter((r) => r.status === "rejected");
    assert.ok(rejected.length > 0);
    for (const r of rejected)
      assert.ok(r.reason instanceof DeliveryRejectedError && r.reason.reason === "spool_full");
    assert.equal((await metrics.rejected.get()).values[0]?.value, rejected.length);
    assert.equal(spool.depth + rejected.length, 5);
    await delivery.close();
    spool.close();
  });

  it("drain waits for in-flight publishes and an emptied spool, then refuses new events", async () => {
    const { stream, delivery, spool } = setup();
    stream.connected = false;
    for (let i = 0; i < 5; i++) await delivery.submit(event(i));
    stream.connected = true;
    assert.deepEqual(await delivery.drain(), { spoolDepth: 0 });
    assert.equal(stream.ids.length, 5);
    await assert.rejects(delivery.submit(event(9)), DeliveryRejectedError);
    await delivery.close();
    spool.close();
  });
});

describe("publish batching", () => {
  it("holds events for the batch delay, and drain publishes a waiting batch at once", async () => {
    const { stream, delivery, spool } = setup(1 << 20, { batchDelayMs: 60_000 });
    const outcomes = Promise.all([delivery.submit(event(1)), delivery.submit(event(2))]);
    const rejected: unknown[] = [];
    delivery.accept(event(3), (err) => rejected.push(err));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(stream.ids, []);
    assert.deepEqual(await delivery.drain(), { spoolDepth: 0 });
    assert.deepEqual(await outcomes, ["published", "published"]);
    assert.deepEqual(stream.ids, ["id-1", "id-2", "id-3"]);
    assert.deepEqual(rejected, []);
    await delivery.close();
    spool.close();
  });

  it("reports an event accepted while draining to its rejection callback", async () => {
    const { delivery, spool } = setup();
    await delivery.drain();
    const rejected: unknown[] = [];
    delivery.accept(event(1), (err) => rejected.push(err));
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0] instanceof DeliveryRejectedError && rejected[0].reason === "draining");
    await delivery.close();
    spool.close();
  });
});

describe("drain without NATS", () => {
  it("returns at once, leaving the spool on disk for the next start", async () => {
    const { stream, delivery, spool } = setup();
    stream.connected = false;
    for (let i = 0; i < 3; i++) await delivery.submit(event(i));
    assert.deepEqual(await delivery.drain(), { spoolDepth: 3 });
    await delivery.close();
    spool.close();
  });
});
