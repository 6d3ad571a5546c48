/**
 * Test and dev infrastructure of Langtian EDA: provisioning of external servers into the
 * per-user cache, and launchers for real nats-server and Kafka on free 127.0.0.1 ports.
 */
export {
  canFreezeFolders,
  FreezeError,
  type FrozenFolder,
  freezeFolder,
  freezeMethod,
} from "./faults/freeze-folder.ts";
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
} from "./launch/nats.ts";
export {
  type NodeService,
  type NodeServiceSpec,
  startNodeService,
  sumMetric,
} from "./launch/node-service.ts";
export { canBindUdp, canListen, freePort, freePorts } from "./launch/ports.ts";
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
export { ServerStartError } from "./launch/start-until-ready.ts";
export { tempDir, uniqueName } from "./launch/temp.ts";
export { WaitError, type WaitOptions, waitFor } from "./launch/wait.ts";
export { ProvisionError } from "./provision/install-dir.ts";
export { type KafkaInstall, kafkaVersion, provisionKafka } from "./provision/kafka.ts";
export {
  natsCliVersion,
  natsServerVersion,
  provisionNatsCli,
  provisionNatsServer,
} from "./provision/nats.ts";
export { type PythonEnv, provisionPython } from "./provision/python.ts";
