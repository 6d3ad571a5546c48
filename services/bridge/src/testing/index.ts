/**
 * Test helpers of the bridge (`@langtian/bridge/testing`): the harness that drives any bridge
 * through NATS and Kafka, and isolated names and env for one test. For tests, benchmarks and
 * end-to-end runs; production code never imports this subpath.
 */
export {
  type KafkaTally,
  missingEvents,
  type Published,
  type PublishOptions,
  publishEvents,
  readTopic,
  testEnvelope,
} from "./harness.ts";
export { type TestNames, testBridgeEnv, testNames } from "./test-env.ts";
