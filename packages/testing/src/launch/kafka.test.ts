import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kafkaRoundTrip } from "./roundtrip.ts";
import { testKafkaBootstrap } from "./shared.ts";
import { uniqueName } from "./temp.ts";

describe("shared Kafka broker", () => {
  it("delivers produced messages to a consumer group in order", async () => {
    const bootstrap = await testKafkaBootstrap();
    const received = await kafkaRoundTrip({ bootstrap, topic: uniqueName("launcher"), count: 100 });
    assert.deepEqual(
      received,
      Array.from({ length: 100 }, (_, i) => `message ${i}`),
    );
  });
});
