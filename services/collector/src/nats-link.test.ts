import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JetStreamApiError } from "@nats-io/jetstream";
import { TimeoutError } from "@nats-io/transport-node";
import { isRefusedByJetStream } from "./nats-link.ts";
import { StreamProvisionError } from "./stream-provisioner.ts";

const apiError = (code: number, description: string) =>
  new JetStreamApiError({ code: 503, err_code: code, description });

describe("isRefusedByJetStream", () => {
  it("is true for JetStream's answer refusing the stream, also wrapped as the cause", () => {
    const refused = apiError(10023, "insufficient resources");
    assert.equal(isRefusedByJetStream(refused), true);
    assert.equal(
      isRefusedByJetStream(new StreamProvisionError("cannot create stream", { cause: refused })),
      true,
    );
  });

  it("is false while JetStream does not answer or is temporarily unavailable (a cluster electing a leader)", () => {
    assert.equal(isRefusedByJetStream(new TimeoutError()), false);
    assert.equal(
      isRefusedByJetStream(new StreamProvisionError("cannot create stream", { cause: new TimeoutError() })),
      false,
    );
    assert.equal(isRefusedByJetStream(apiError(10008, "JetStream system temporarily unavailable")), false);
    assert.equal(isRefusedByJetStream(new Error("connection closed")), false);
  });
});
