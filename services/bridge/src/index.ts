/**
 * @langtian/bridge: JetStream → Kafka. Exports the app factory, the provision step and the
 * stages benchmarks measure alone (`bench/bridge`). Test helpers are the `./testing` subpath.
 */
export { type BridgeApp, type BridgeDeps, createApp } from "./app.ts";
export { type BridgeConfig, bridgeConfigSchema, bridgeTopics, loadBridgeConfig } from "./config.ts";
export { createKafkaSink, type KafkaSink, type KafkaSinkOptions } from "./kafka-sink.ts";
export {
  BridgeHeaders,
  createTopicRouter,
  HeaderSet,
  parseTopicRules,
  recordHeaders,
  recordKey,
  subjectMatches,
  type TopicRule,
} from "./mapping.ts";
export type { OutboundRecord } from "./pipeline-ports.ts";
export { BridgeProvisionError, type ProvisionReport } from "./provision.ts";
export { runProvision } from "./provision-command.ts";
export { type EventReadResult, readEventForBridge } from "./read-event-for-bridge.ts";
