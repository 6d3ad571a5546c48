/**
 * Test and dev infrastructure of Langtian EDA: launchers for real nats-server, Kafka and an
 * OpenTelemetry Collector (OTLP receiver) on free 127.0.0.1 ports, fault injection, and the
 * provisioners of `@langtian/provision`.
 */

// Provisioning lives in @langtian/provision; re-exported so tests and benchmarks keep one import.
export {
  type KafkaInstall,
  kafkaVersion,
  natsCliVersion,
  natsServerVersion,
  ProvisionError,
  type PythonEnv,
  provisionKafka,
  provisionNatsCli,
  provisionNatsServer,
  provisionOtelCollector,
  provisionPython,
} from "@langtian/provision";
export {
  canFreezeFolders,
  FreezeError,
  type FrozenFolder,
  freezeFolder,
  freezeMethod,
} from "./faults/freeze-folder.ts";
export {
  type QueryApiProcessOptions,
  startQueryApiProcess,
} from "./fixtures/query-api-process.ts";
export {
  FIRST_EVENT_MS,
  startWrittenLake,
  type WrittenLake,
  type WrittenLakeOptions,
  waitForCommitted,
} from "./fixtures/written-lake.ts";
export { type GrpcCallback, grpcClient, grpcUnary } from "./grpc/grpc-client.ts";
export {
  type KafkaBroker,
  type KafkaCluster,
  type StartKafkaOptions,
  startKafka,
  testJvmOptions,
} from "./launch/kafka.ts";
export {
  type NatsCluster,
  type NatsServer,
  type StartNatsClusterOptions,
  type StartNatsOptions,
  startNats,
  startNatsCluster,
  startNatsWithoutJetStream,
} from "./launch/nats.ts";
export {
  type NodeService,
  type NodeServiceSpec,
  startNodeService,
  sumMetric,
} from "./launch/node-service.ts";
export {
  type ExportedSpan,
  type OtelCollector,
  type StartOtelCollectorOptions,
  startOtelCollector,
} from "./launch/otel-collector.ts";
export { canBindUdp, canListen, freePort, freePorts } from "./launch/ports.ts";
export {
  PostgresDirError,
  postgresBinDir,
  type StartPostgresOptions,
  startPostgres,
  type TestPostgres,
} from "./launch/postgres.ts";
export {
  type ProcessExit,
  type ServerProcess,
  type ServerProcessSpec,
  spawnServer,
} from "./launch/server-process.ts";
export {
  type SharedServers,
  sharedServerEnv,
  startSharedServers,
  testKafkaBootstrap,
  testNatsUrl,
} from "./launch/shared.ts";
export { type RunStackOptions, runStack, type StackRun } from "./launch/stack-process.ts";
export { ServerStartError } from "./launch/start-until-ready.ts";
export { tempDir, uniqueName } from "./launch/temp.ts";
export { WaitError, type WaitOptions, waitFor } from "./launch/wait.ts";
