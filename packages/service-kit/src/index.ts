/**
 * @langtian/service-kit: what every Langtian EDA service shares — config, logger, metrics,
 * health, drain lifecycle, the LifecycleService, operator auth, the one-port Connect/gRPC
 * server and graceful shutdown.
 */

export { ANONYMOUS, type ApiKeyGuard, type ApiKeyGuardOptions, createApiKeyGuard } from "./api-key-guard.ts";
export { type ApiKey, type ApiKeys, MIN_SECRET_LENGTH, parseApiKeys, secretDigest } from "./api-keys.ts";
export type { OperatorAuth } from "./auth.ts";
export { createOperatorAuth, methodKey, operatorAuthInterceptor, requireOperator } from "./auth.ts";
export type { ConfigFile, Env } from "./config.ts";
export { CONFIG_FILE_ENV_SUFFIX, configFileFromEnv, deepFreeze, loadConfig, redactConfig } from "./config.ts";
export type { ConfigSchema, Field, FieldInfo, FieldOptions, InferConfig, Shape } from "./config-schema.ts";
export {
  boolean,
  defineConfigSchema,
  describeConfig,
  FieldKind,
  integer,
  number,
  oneOf,
  secretPaths,
  string,
  stringList,
  toEnvSegment,
} from "./config-schema.ts";
export type { ConnectEdgeOptions, RequestGate } from "./connect-edge.ts";
export {
  closeAfterAnswer,
  connectEdgePlugin,
  DEFAULT_READ_MAX_BYTES,
  procedurePath,
} from "./connect-edge.ts";
export type {
  DualProtocolServer,
  DualProtocolServerOptions,
  DualRequestHandler,
} from "./dual-protocol-server.ts";
export { createDualProtocolServer, HTTP2_PREFACE, sniffProtocol } from "./dual-protocol-server.ts";
export type { ConfigIssue, RefusedErrorOptions } from "./errors.ts";
export {
  CheckTimeoutError,
  ConfigError,
  DrainHookError,
  OperatorAuthError,
  OperatorAuthFailure,
  RefusedError,
  toConnectError,
} from "./errors.ts";
export type { EventSpan, EventTracer, EventTracerOptions, HopKind } from "./event-tracer.ts";
export { createEventTracer, exportHeaders } from "./event-tracer.ts";
export type { CheckResult, DependencyCheck, DependencyState, HealthChecks } from "./health.ts";
export { createHealthChecks, DEFAULT_CHECK_TIMEOUT_MS, requiredHealthy } from "./health.ts";
export type { HealthReport, ServiceIdentity } from "./health-report.ts";
export { buildHealthReport } from "./health-report.ts";
export { httpAnswerFor, registerHttpRefusals } from "./http-refusals.ts";
export type { UntilJetStreamAnswersOptions } from "./jetstream-startup.ts";
export { isRefusedByJetStream, untilJetStreamAnswers } from "./jetstream-startup.ts";
export type {
  CounterSource,
  DrainHook,
  DrainOptions,
  DrainResult,
  Lifecycle,
  LifecycleOptions,
} from "./lifecycle.ts";
export { createLifecycle, DrainOrder, LifecyclePhase } from "./lifecycle.ts";
export type { LifecycleServiceDeps } from "./lifecycle-service.ts";
export { createLifecycleServiceImpl, toProtoPhase, untilAborted } from "./lifecycle-service.ts";
export type { LoggerOptions } from "./logger.ts";
export { createLogger, REDACTED_TEXT } from "./logger.ts";
export { isLoopbackHost } from "./loopback-host.ts";
export type { MetricFactory, MetricsOptions, ServiceMetrics } from "./metrics.ts";
export { createMetrics, volumeMetrics } from "./metrics.ts";
export type { RateLimitedLog, RateLimitedLogOptions, RateLimitedLogTarget } from "./rate-limited-log.ts";
export { createRateLimitedLog } from "./rate-limited-log.ts";
export { rpcMetricsInterceptor } from "./rpc-metrics.ts";
export type { RefusalCounter } from "./rpc-refusals.ts";
export {
  codeName,
  createRefusalCounter,
  isBinaryParseError,
  REFUSAL_CODES,
  refusalReason,
  UNKNOWN_PROCEDURE,
} from "./rpc-refusals.ts";
export type { ListenAddress, ServiceApp, ServiceAppOptions, ServiceFastify } from "./service-app.ts";
export { createServiceApp, FORCE_CLOSE_AFTER_ABORT_MS } from "./service-app.ts";
export type { ServiceConfig } from "./service-config.ts";
export { accessFields, LOG_LEVELS, serviceFields } from "./service-config.ts";
export { createServiceTracer } from "./service-tracer.ts";
export type { ProcessLike, ShutdownHandle, ShutdownOptions, ShutdownTarget } from "./shutdown.ts";
export { installShutdown, SHUTDOWN_SIGNALS, ShutdownExitCode } from "./shutdown.ts";
export { TokenBucket, type TokenBucketOptions } from "./token-bucket.ts";
export type { TraceParent } from "./trace-context.ts";
export { formatTraceparent, newSpanId, newTraceId, parseTraceparent } from "./trace-context.ts";
export type { TracingConfig } from "./tracing-fields.ts";
export { tracingFields } from "./tracing-fields.ts";
