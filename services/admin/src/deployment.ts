import type { ConfigIssue } from "@langtian/service-kit";

/** The stages an instance can be. */
export const Stage = {
  collector: "collector",
  bridge: "bridge",
  lakeWriter: "lake-writer",
  queryApi: "query-api",
  admin: "admin",
} as const;
/** One of {@link Stage}'s values. */
export type Stage = (typeof Stage)[keyof typeof Stage];

/** One service instance of the deployment model. */
export interface InstanceSpec {
  readonly name: string;
  readonly stage: Stage;
  /** Base URL of its RPC, health and metrics port, without a trailing slash. */
  readonly endpoint: string;
}

const STAGES: readonly string[] = Object.values(Stage);
const ENTRY = /^([a-z0-9][a-z0-9_.-]*)=([a-z-]+)@(https?:\/\/[^\s/]+)\/?$/;

/** Parses `deployment.instances` (`name=stage@http://host:port`), reporting every bad entry. */
export function parseDeployment(entries: readonly string[]): {
  readonly instances: InstanceSpec[];
  readonly issues: ConfigIssue[];
} {
  const instances: InstanceSpec[] = [];
  const issues: ConfigIssue[] = [];
  const names = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    const path = `deployment.instances[${i}]`;
    const m = ENTRY.exec(entry.trim());
    if (m === null) {
      issues.push({
        path,
        source: "config",
        expected: '"name=stage@http://host:port"',
        got: JSON.stringify(entry),
      });
      continue;
    }
    const [, name = "", stage = "", endpoint = ""] = m;
    if (!STAGES.includes(stage))
      issues.push({
        path,
        source: "config",
        expected: `a stage: ${STAGES.join(", ")}`,
        got: JSON.stringify(stage),
      });
    if (names.has(name))
      issues.push({ path, source: "config", expected: "a unique instance name", got: `"${name}" again` });
    names.add(name);
    instances.push({ name, stage: stage as Stage, endpoint });
  }
  return { instances, issues };
}
