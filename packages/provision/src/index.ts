/**
 * Provisioning of Langtian EDA: the per-user cache, a locked atomic installer, and the
 * provisioners of every tool the tests, the benchmarks and `npm run stack` need outside npm
 * (nats-server, the `nats` CLI, Kafka, a Python venv, DuckDB extension files, SeaweedFS, the test
 * OpenTelemetry Collector, and Debian's Chromium for the web UI's browser tests).
 * Scripts and tests call them; services never do (they read what was provisioned).
 */
export { cacheRoot } from "./cache-root.mjs";
export {
  CHROMIUM_ENV,
  CHROMIUM_PACKAGES,
  type ChromiumHost,
  findOrInstallChromium,
  provisionChromium,
} from "./chromium.ts";
export {
  DUCKDB_EXTENSIONS,
  DUCKDB_VERSION,
  type DuckdbExtensionName,
  type DuckdbExtensions,
  defaultDuckdbExtensionDir,
  duckdbExtensionFiles,
  duckdbPlatform,
  provisionDuckdbExtensions,
} from "./duckdb-extensions.ts";
export {
  acquireLock,
  createHeartbeat,
  HEARTBEAT_MS,
  type Heartbeat,
  INSTALL_COMPLETE_MARKER,
  type InstallDirSpec,
  installDir,
  progress,
  withHeartbeat,
} from "./install-dir.ts";
export { type KafkaInstall, kafkaVersion, provisionKafka, requireJava } from "./kafka.ts";
export {
  natsCliVersion,
  natsServerVersion,
  provisionNatsCli,
  provisionNatsServer,
} from "./nats.ts";
export {
  OTEL_COLLECTOR_MODULE_DIR,
  OTEL_COLLECTOR_VERSION,
  provisionOtelCollector,
} from "./otel-collector.ts";
export {
  type DownloadSource,
  javaMajorVersion,
  missingToolError,
  networkHint,
  PREREQUISITES,
} from "./prerequisites.ts";
export { PROMETHEUS_PACKAGE, type PrometheusInstall, provisionPrometheus } from "./prometheus.ts";
export { ProvisionError } from "./provision-error.ts";
export { type PythonEnv, provisionPython } from "./python.ts";
export { type RunToolOptions, runTool } from "./run-tool.ts";
export { provisionSeaweedfs, SEAWEEDFS_MODULE, SEAWEEDFS_VERSION } from "./seaweedfs.ts";
export { inUnitTier, refuseInUnitTier, testTierEnv } from "./test-tier.ts";
