import { refuseInUnitTier } from "@langtian/provision";
import { startKafka } from "./kafka.ts";
import { startNats } from "./nats.ts";

/** Environment variables through which `npm test` hands the shared servers to test files. */
export const sharedServerEnv = {
  natsUrl: "LANGTIAN_TEST_NATS_URL",
  kafkaBootstrap: "LANGTIAN_TEST_KAFKA_BOOTSTRAP",
} as const;

/** The shared servers of one test run. */
export interface SharedServers {
  /** Pass to test processes: they find the servers through these variables. */
  env: { LANGTIAN_TEST_NATS_URL: string; LANGTIAN_TEST_KAFKA_BOOTSTRAP: string };
  /** Stops both servers. */
  stop(): Promise<void>;
}

/**
 * Starts one JetStream nats-server and one Kafka broker for a whole test run (see
 * `scripts/tasks/node-tests.ts`). Tests isolate themselves with {@link uniqueName}; tests
 * that stop or reconfigure a server start their own.
 */
export async function startSharedServers(): Promise<SharedServers> {
  refuseInUnitTier("starting the shared servers");
  const [nats, kafka] = await Promise.all([startNats(), startKafka()]);
  return {
    env: { LANGTIAN_TEST_NATS_URL: nats.url, LANGTIAN_TEST_KAFKA_BOOTSTRAP: kafka.bootstrap },
    stop: async () => {
      await Promise.all([nats.stop(), kafka.stop()]);
    },
  };
}

let ownNats: Promise<string> | undefined;
let ownKafka: Promise<string> | undefined;

/**
 * URL of the shared nats-server: the one `npm test` started (`LANGTIAN_TEST_NATS_URL`), or,
 * when a test file runs on its own, one started for this process and stopped when it exits.
 */
export function testNatsUrl(): Promise<string> {
  refuseInUnitTier("the shared nats-server");
  const fromEnv = process.env[sharedServerEnv.natsUrl];
  if (fromEnv) return Promise.resolve(fromEnv);
  ownNats ??= startNats().then((s) => s.url);
  return ownNats;
}

/**
 * Bootstrap address of the shared Kafka broker: the one `npm test` started
 * (`LANGTIAN_TEST_KAFKA_BOOTSTRAP`), or, when a test file runs on its own, one started for
 * this process and stopped when it exits.
 */
export function testKafkaBootstrap(): Promise<string> {
  refuseInUnitTier("the shared Kafka broker");
  const fromEnv = process.env[sharedServerEnv.kafkaBootstrap];
  if (fromEnv) return Promise.resolve(fromEnv);
  ownKafka ??= startKafka().then((k) => k.bootstrap);
  return ownKafka;
}
