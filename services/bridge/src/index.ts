/**
 * @langtian/bridge: JetStream → Kafka. Exports the app factory, the provision step and the
 * harness that drives any bridge through NATS and Kafka (tests and `bench/bridge`).
 */
export { type BridgeApp, type BridgeDeps, createApp } from "./app.ts";
export { type BridgeConfig, bridgeConfigSchema, bridgeTopics, loadBridgeConfig } from "./config.ts";
export { BridgeHeaders, createTopicRouter, parseTopicRules, subjectMatches, type TopicRule } from "./mapping.ts";
export { runProvision } from "./provision-command.ts";
export { type ProvisionReport, ProvisionError } from "./provision.ts";
export {
  type KafkaTally,
  missingEvents,
  type PublishOptions,
  type Published,
  publishEvents,
  readTopic,
  testEnvelope,
} from "./testing/harness.ts";
