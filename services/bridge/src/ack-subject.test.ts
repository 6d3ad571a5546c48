import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deliveryFromAckSubject } from "./ack-subject.ts";

describe("deliveryFromAckSubject", () => {
  it("reads the delivery count and stream sequence of the old nine-token form", () => {
    assert.deepEqual(deliveryFromAckSubject("$JS.ACK.S.C.3.1234.99.1732700000000000000.17"), {
      deliveryCount: 3,
      streamSequence: 1234,
    });
  });

  it("reads them from the new form, with and without the trailing token", () => {
    assert.deepEqual(deliveryFromAckSubject("$JS.ACK._.acct.S.C.1.5.5.1732700000000000000.0.abc"), {
      deliveryCount: 1,
      streamSequence: 5,
    });
    assert.deepEqual(deliveryFromAckSubject("$JS.ACK.dom.acct.S.C.2.77.76.1732700000000000000.3"), {
      deliveryCount: 2,
      streamSequence: 77,
    });
  });

  it("gives up on anything else, so the caller falls back to the client's parser", () => {
    assert.equal(deliveryFromAckSubject("$JS.ACK.S.C.3.x.99.17.1"), undefined);
    assert.equal(deliveryFromAckSubject("$JS.ACK.S.C.1.2"), undefined);
    assert.equal(deliveryFromAckSubject("_INBOX.abc"), undefined);
    assert.equal(deliveryFromAckSubject(undefined), undefined);
  });
});
