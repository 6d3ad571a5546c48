import { ConnectorConfigLocation } from "@langtian/connector-config";
import { lakeConfigFields, lakeConfigIssues } from "@langtian/lake";
import {
  accessFields,
  boolean,
  type ConfigFile,
  type ConfigIssue,
  defineConfigSchema,
  type Env,
  type InferConfig,
  integer,
  loadConfig,
  parseApiKeys,
  serviceFields,
  string,
  stringList,
} from "@langtian/service-kit";
import { ROLES } from "./access/admin-access.ts";
import { parseDeployment, Stage } from "./deployment.ts";

/**
 * The admin service's configuration: the deployment model (every instance of every service,
 * NATS, Kafka, the lake) and access. Env vars are `LANGTIAN_ADMIN_<PATH>`; `npm run stack`
 * writes a file for what it starts (`LANGTIAN_ADMIN_CONFIG_FILE`).
 */
export const adminConfigSchema = defineConfigSchema("admin", {
  ...serviceFields({ port: 4105 }),
  deployment: {
    instances: stringList({
      default: [],
      description:
        'Every service instance as "name=stage@http://host:port", e.g. "bridge-1=bridge@http://10.0.0.5:4102" (stage: collector, bridge, lake-writer, query-api, admin).',
    }),
    instanceTimeoutMs: integer({
      default: 2_000,
      min: 100,
      description:
        "How long one instance's health, status or metrics may take before its entry says so, in ms.",
    }),
  },
  nats: {
    url: string({ default: "nats://127.0.0.1:4222", description: "NATS server URL(s), comma-separated." }),
    streams: stringList({ default: ["EDA_EVENTS"], description: "JetStream streams shown in the overview." }),
  },
  kafka: {
    bootstrap: stringList({ default: ["127.0.0.1:9092"], description: "Kafka bootstrap brokers host:port." }),
    topics: stringList({
      default: ["eda.events"],
      description: "Topics shown in the overview (and read by the lake writer).",
    }),
  },
  lake: lakeConfigFields(),
  audit: {
    stream: string({
      default: "LANGTIAN_AUDIT",
      description: "JetStream stream of the audit log (created when missing).",
    }),
    replicas: integer({
      default: 1,
      min: 1,
      max: 5,
      description: "Replicas of the audit stream (3 on a 3-node cluster).",
    }),
  },
  connectorConfig: {
    bucket: string({
      default: ConnectorConfigLocation.bucket,
      description:
        "NATS KV bucket of the shared connector configuration the bridges watch (created when missing).",
    }),
    key: string({ default: ConnectorConfigLocation.key, description: "Key of the bridges' configuration." }),
    replicas: integer({
      default: 1,
      min: 1,
      max: 5,
      description: "Replicas of the bucket when the admin creates it (3 on a 3-node cluster).",
    }),
  },
  deadLetters: {
    bridgeTopic: string({
      default: "eda.bridge.dead-letter",
      description: "The bridge's dead-letter topic (its topics.deadLetterTopic); empty = not read.",
    }),
    collectorStream: string({
      optional: true,
      description:
        "JetStream stream holding the collector's dead-letter subject (its deadLetter.subject); unset = not read.",
    }),
    eventsSubjectPrefix: string({
      default: "eda.events",
      description:
        "Where replayed collector dead letters go: <prefix>.<event_type> (the collector's stream.subjectPrefix).",
    }),
    scan: integer({
      default: 10_000,
      min: 1,
      description:
        "Newest records a list reads from each partition of the bridge's topic and from the collector's stream.",
    }),
  },
  access: accessFields(
    'Keys as "name:secret:role" (role viewer or operator; secret at least 16 characters). The service\'s operatorToken counts as an operator key named "operator". Without keys, callers without a key may view (loopback only).',
  ),
  web: {
    dir: string({
      default: "",
      description: "Folder of the built web UI (web/dist) to serve; empty: no UI.",
    }),
    sessionTtlMs: integer({
      default: 12 * 3_600_000,
      min: 60_000,
      description: "How long a UI session lasts, in ms.",
    }),
    secureCookie: boolean({
      default: false,
      description: "Mark the session cookie Secure: set it whenever the UI is served over https.",
    }),
    allowedOrigins: stringList({
      default: [],
      description:
        'Origins of a UI served elsewhere that may call the admin, e.g. "https://langtian.localhost" (CORS, without credentials: such a UI sends its key). Empty: no CORS headers at all.',
    }),
    traceUrl: string({
      default: "",
      pattern: /^$|^https?:\/\/\S*\{traceId\}\S*$/,
      description:
        'Where the UI links an event\'s trace: a URL with {traceId}, e.g. "http://127.0.0.1:16686/trace/{traceId}" (Jaeger) or a Grafana Tempo explore link. Empty: the UI shows the trace id without a link.',
    }),
  },
  queryApi: {
    url: string({
      default: "",
      description:
        "The query API the admin forwards QueryService calls to (Connect); empty: the first query-api instance of deployment.instances.",
    }),
    key: string({
      optional: true,
      secret: true,
      description:
        "The admin's own query API key (a reader key of the query API's access.apiKeys), sent as Authorization: Bearer; unset: none (a query API without keys on loopback).",
    }),
  },
  instanceOperatorToken: string({
    optional: true,
    secret: true,
    description: "The operator token of the instances (their own operatorToken), used to drain them.",
  }),
});

/** The loaded configuration. */
export type AdminConfig = InferConfig<typeof adminConfigSchema>;

/**
 * Loads and checks the admin configuration (pure: env and file are arguments).
 * @throws ConfigError listing every problem at once.
 */
export function loadAdminConfig(env: Env, file?: ConfigFile): AdminConfig {
  return loadConfig(adminConfigSchema, env, file, adminChecks);
}

/**
 * Where QueryService calls go: `queryApi.url`, else the first `query-api` instance of the
 * deployment model; "" when neither (the calls then answer `unavailable`).
 */
export function queryApiUrl(config: AdminConfig): string {
  if (config.queryApi.url !== "") return config.queryApi.url.replace(/\/+$/, "");
  return (
    parseDeployment(config.deployment.instances).instances.find((i) => i.stage === Stage.queryApi)
      ?.endpoint ?? ""
  );
}

const HTTP_URL = /^https?:\/\/[^\s/]+\/?$/;
// An origin is scheme, host and port only: what a browser sends in `Origin`.
const ORIGIN = /^https?:\/\/[^\s/]+$/;

function adminChecks(config: AdminConfig): ConfigIssue[] {
  const issues = [
    ...lakeConfigIssues(config.lake),
    ...parseDeployment(config.deployment.instances).issues,
    ...parseApiKeys(config.access.apiKeys, ROLES).issues,
  ];
  if (config.queryApi.url !== "" && !HTTP_URL.test(config.queryApi.url))
    issues.push({
      path: "queryApi.url",
      source: "config",
      expected: '"http(s)://host:port"',
      got: JSON.stringify(config.queryApi.url),
    });
  for (const [i, origin] of config.web.allowedOrigins.entries())
    if (!ORIGIN.test(origin))
      issues.push({
        path: `web.allowedOrigins[${i}]`,
        source: "config",
        expected: 'an origin "https://host[:port]" (no path, no trailing slash)',
        got: JSON.stringify(origin),
      });
  return issues;
}
