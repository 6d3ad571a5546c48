/**
 * @langtian/bridge: JetStream → Kafka. Exports the app factory, the provision step and the
 * harness that drives any bridge through NATS and Kafka (tests and `bench/bridge`).
 */
export { type BridgeApp, type BridgeDeps, createApp } from "./app.ts";
export { type BridgeConfig, bridgeConfigSchema, bridgeTopics, loadBridgeConfig } from "./config.ts";
export {
  BridgeHeaders,
  createTopicRouter,
  HeaderSet,
  parseTopicRules,
  subjectMatches,
  type TopicRule,
} from "./mapping.ts";
export { ProvisionError, type ProvisionReport } from "./provision.ts";
export { runProvision } from "./provision-command.ts";
export {
  type KafkaTally,
  missingEvents,
  type Published,
  type PublishOptions,
  publishEvents,
  readTopic,
  testEnvelope,
} from "./testing/harness.ts";
