import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConsumerMessages } from "@nats-io/jetstream";
import { idleHeartbeatMs, suppressPullsWhen } from "./jetstream-source.ts";

describe("JetStream source helpers", () => {
  it("picks the client's idle heartbeat: half the pull lifetime within [500 ms, 30 s]", () => {
    assert.equal(idleHeartbeatMs(2_000), 1_000);
    assert.equal(idleHeartbeatMs(5_000), 2_500);
    assert.equal(idleHeartbeatMs(1_000), 500);
    assert.equal(idleHeartbeatMs(120_000), 30_000);
  });

  it("lets pull requests through until stopped, then drops them", () => {
    const sent: unknown[] = [];
    const fake = {
      pending: 0,
      pull(this: { pending: number }, opts: unknown) {
        this.pending++;
        sent.push(opts);
      },
    };
    let stopped = false;
    assert.equal(
      suppressPullsWhen(fake as unknown as ConsumerMessages, () => stopped),
      true,
    );
    fake.pull({ batch: 1 });
    stopped = true;
    fake.pull({ batch: 2 });
    assert.deepEqual(sent, [{ batch: 1 }]);
    assert.equal(fake.pending, 1, "the client's own method still runs on the client");
  });

  it("changes nothing on a client without the internal pull", () => {
    assert.equal(
      suppressPullsWhen({} as ConsumerMessages, () => true),
      false,
    );
  });
});
