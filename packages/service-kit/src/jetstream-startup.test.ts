import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JetStreamApiError } from "@nats-io/jetstream";
import { TimeoutError } from "@nats-io/transport-node";
import { isRefusedByJetStream, untilJetStreamAnswers } from "./jetstream-startup.ts";

const apiError = (code: number, description: string) =>
  new JetStreamApiError({ code: 503, err_code: code, description });

const wrapped = (cause: Error) => new Error("cannot create stream", { cause });

/** Collects warnings instead of logging them. */
function warnings() {
  const seen: string[] = [];
  return { seen, log: { warn: (_obj: object, msg: string) => void seen.push(msg) } };
}

describe("isRefusedByJetStream", () => {
  it("is true for JetStream's answer refusing a request, also wrapped as the cause", () => {
    const refused = apiError(10023, "insufficient resources");
    assert.equal(isRefusedByJetStream(refused), true);
    assert.equal(isRefusedByJetStream(wrapped(refused)), true);
    assert.equal(isRefusedByJetStream(apiError(10014, "consumer not found")), true);
  });

  it("is false while JetStream does not answer or is temporarily unavailable (a cluster electing a leader)", () => {
    assert.equal(isRefusedByJetStream(new TimeoutError()), false);
    assert.equal(isRefusedByJetStream(wrapped(new TimeoutError())), false);
    assert.equal(isRefusedByJetStream(apiError(10008, "JetStream system temporarily unavailable")), false);
    assert.equal(isRefusedByJetStream(new Error("connection closed")), false);
  });
});

describe("untilJetStreamAnswers", () => {
  it("retries while JetStream does not answer, then returns the answer", async () => {
    const { seen, log } = warnings();
    let calls = 0;
    const value = await untilJetStreamAnswers(
      async () => {
        calls++;
        if (calls < 3) throw calls === 1 ? new TimeoutError() : apiError(10008, "temporarily unavailable");
        return "bound";
      },
      { what: "bind the consumer", deadlineMs: 10_000, retryMs: 1, log },
    );
    assert.equal(value, "bound");
    assert.equal(calls, 3);
    assert.deepEqual(seen, [
      "JetStream does not answer yet (bind the consumer); retrying",
      "JetStream does not answer yet (bind the consumer); retrying",
    ]);
  });

  it("throws JetStream's refusal at once", async () => {
    const { seen, log } = warnings();
    let calls = 0;
    const refused = apiError(10014, "consumer not found");
    await assert.rejects(
      untilJetStreamAnswers(
        async () => {
          calls++;
          throw refused;
        },
        { what: "bind the consumer", deadlineMs: 10_000, retryMs: 1, log },
      ),
      (err) => err === refused,
    );
    assert.equal(calls, 1);
    assert.deepEqual(seen, []);
  });

  it("throws the last error once the deadline has passed", async () => {
    const { log } = warnings();
    let calls = 0;
    const started = Date.now();
    await assert.rejects(
      untilJetStreamAnswers(
        async () => {
          calls++;
          throw new TimeoutError();
        },
        { what: "bind the consumer", deadlineMs: 50, retryMs: 10, log },
      ),
      TimeoutError,
    );
    assert.ok(calls >= 2, `retried before giving up (${calls} calls)`);
    assert.ok(Date.now() - started >= 50, "waited for the deadline");
  });

  it("stops retrying once the service is stopping", async () => {
    const { log } = warnings();
    let calls = 0;
    let stopping = false;
    await assert.rejects(
      untilJetStreamAnswers(
        async () => {
          calls++;
          stopping = true;
          throw new TimeoutError();
        },
        { what: "bind the consumer", deadlineMs: 10_000, retryMs: 1, stopped: () => stopping, log },
      ),
      TimeoutError,
    );
    assert.equal(calls, 1);
  });
});
