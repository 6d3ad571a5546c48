/**
 * @langtian/connector-config: the shared connector configuration. Topic routing (rules,
 * parser, router), the live pipeline settings, checking a stored value with the bridge's own
 * rules, its dry run, diff and stored form, and the NATS KV bucket it lives in. The admin
 * writes it; every bridge watches it.
 */
export {
  type ConnectorConfig,
  type ConnectorConfigCheck,
  checkConnectorConfig,
  formatConnectorConfig,
  type LivePipelineSetting,
  type LivePipelineValues,
  livePipelineSettings,
  type RoutedSample,
  routeSamples,
} from "./connector-config.ts";
export {
  CONNECTOR_CONFIG_HISTORY,
  ConnectorConfigLocation,
  openConnectorConfigBucket,
} from "./connector-config-bucket.ts";
export { type ConnectorConfigChange, diffConnectorConfigs } from "./diff-connector-configs.ts";
export {
  createTopicRouter,
  isValidSubjectPattern,
  isValidTopicName,
  parseTopicRules,
  subjectMatches,
  type TopicRouter,
  type TopicRule,
} from "./topic-router.ts";
