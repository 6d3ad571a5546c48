import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cacheRoot } from "./cache-root.mjs";
import { installDir } from "./install-dir.ts";
import { javaMajorVersion, PREREQUISITES } from "./prerequisites.ts";
import { ProvisionError } from "./provision-error.ts";
import { runTool } from "./run-tool.ts";
import { refuseInUnitTier } from "./test-tier.ts";

/** The Apache Kafka release we run (KRaft only); bump deliberately. */
export const kafkaVersion = "4.4.0";
/** log4j2 binding for the broker's slf4j logging, so it logs to a file we configure. */
const log4jVersion = "2.26.1";
/** Pinned because a transitive dependency would otherwise pull slf4j 1.7, which the binding ignores. */
const slf4jVersion = "2.0.20";

/** A provisioned Kafka: jars plus the Java that runs them. */
export interface KafkaInstall {
  version: string;
  /** Folder holding every jar the broker needs. */
  libDir: string;
  /** Java class path (`<libDir>/*`). */
  classpath: string;
  /** The `java` executable (17 or newer). */
  java: string;
}

let pending: Promise<KafkaInstall> | undefined;

/**
 * Returns Kafka's jars, resolved once with Maven from Maven Central into
 * `<cacheRoot()>/kafka/<version>/lib`. Needs `mvn` and Java 17+ on the machine (`JAVA_HOME`
 * or PATH); the broker is started by class name, so no distribution archive is needed.
 */
export function provisionKafka(): Promise<KafkaInstall> {
  refuseInUnitTier("provisioning Kafka");
  pending ??= provisionOnce().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function provisionOnce(): Promise<KafkaInstall> {
  // Maven runs on Java too: check it first, so a machine without Java hears that, not Maven's words.
  const java = await requireJava();
  const dir = join(cacheRoot(), "kafka", kafkaVersion);
  await installDir({
    label: `kafka ${kafkaVersion}`,
    dir,
    build: async (staging) => {
      await writeFile(join(staging, "pom.xml"), pom());
      const mvn = process.platform === "win32" ? "mvn.cmd" : "mvn";
      await runTool(
        mvn,
        [
          "-q",
          "-B",
          "-f",
          join(staging, "pom.xml"),
          "dependency:copy-dependencies",
          "-DincludeScope=runtime",
          `-DoutputDirectory=${join(staging, "lib")}`,
        ],
        { cwd: staging, downloadsFrom: "Maven Central" },
      );
      const jars = await readdir(join(staging, "lib"));
      if (!jars.some((j) => j.startsWith(`kafka_2.13-${kafkaVersion}`))) {
        throw new ProvisionError(`maven resolved no kafka_2.13-${kafkaVersion} jar`);
      }
    },
  });
  const libDir = join(dir, "lib");
  return { version: kafkaVersion, libDir, classpath: join(libDir, "*"), java };
}

/** Kafka 4 brokers need Java 17 or newer. */
const minJavaMajor = 17;

/**
 * The `java` that runs Kafka (`$JAVA_HOME/bin/java`, else `java` on PATH), once it is known to
 * be Java 17 or newer; else a {@link ProvisionError} that says how to get one (from `runTool`
 * when there is no `java` at all). `env` is for tests.
 */
export async function requireJava(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const java = javaBinary(env);
  // `java -version` writes to stderr; runTool returns both streams.
  const output = await runTool(java, ["-version"], { env });
  const major = javaMajorVersion(output);
  if (major !== undefined && major < minJavaMajor) {
    const { what, why, how } = PREREQUISITES.java;
    throw new ProvisionError(`${what} is needed ${why}, and \`${java}\` is Java ${major}: ${how}.`);
  }
  return java;
}

/** The pom Maven resolves: the broker, its tools, and a log4j2 binding. */
function pom(): string {
  const dep = (group: string, artifact: string, version: string) =>
    `    <dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>langtian.eda</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>${kafkaVersion}</version>
  <packaging>pom</packaging>
  <dependencies>
${[
  dep("org.apache.kafka", "kafka_2.13", kafkaVersion),
  dep("org.apache.kafka", "kafka-tools", kafkaVersion),
  dep("org.slf4j", "slf4j-api", slf4jVersion),
  dep("org.apache.logging.log4j", "log4j-core", log4jVersion),
  dep("org.apache.logging.log4j", "log4j-slf4j2-impl", log4jVersion),
].join("\n")}
  </dependencies>
</project>
`;
}

/** `$JAVA_HOME/bin/java` when set, else `java` from PATH. */
function javaBinary(env: NodeJS.ProcessEnv): string {
  const exe = process.platform === "win32" ? "java.exe" : "java";
  const home = env.JAVA_HOME;
  if (home && existsSync(join(home, "bin", exe))) return join(home, "bin", exe);
  return exe;
}
