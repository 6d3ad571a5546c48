import { readFile } from "node:fs/promises";
import { toJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import {
  type AdminService,
  type ConnectorConfigRevision,
  DiffConnectorConfigResponseSchema,
  GetConnectorConfigResponseSchema,
  ListConnectorConfigRevisionsResponseSchema,
  RollbackConnectorConfigResponseSchema,
  SetConnectorConfigResponseSchema,
  ValidateConnectorConfigResponseSchema,
} from "@langtian/proto";
import { ExitCode, type Output } from "./commands.ts";
import { formatTable } from "./table.ts";

/** What every `langtian config` subcommand is given. */
export interface ConfigCommandContext {
  readonly client: Client<typeof AdminService>;
  /** Operator token, for set and rollback. */
  readonly token: string | undefined;
  readonly json: boolean;
  readonly out: Output;
  /** Where problems go (stderr). */
  readonly err: Output;
}

/** The options `langtian config` reads from the command line. */
export interface ConfigCommandOptions {
  /** `--revision`: for get. */
  readonly revision: number | undefined;
  /** `--expect`: for set (compare-and-set). */
  readonly expect: number | undefined;
  /** `--file`: a proposed value, for diff. */
  readonly file: string | undefined;
  /** `--subject`: sample subjects, for validate. */
  readonly subjects: readonly string[];
  /** `--limit`: for history. */
  readonly limit: number | undefined;
}

/** A wrong `langtian config` command line: exit 2 with the message. */
export class ConfigUsageError extends Error {
  override readonly name = "ConfigUsageError";
}

/** Reads a value from a file, or from stdin for `-`. */
async function readValue(path: string | undefined): Promise<string> {
  if (path === undefined) throw new ConfigUsageError("name the file holding the value (or - for stdin)");
  if (path !== "-") return readFile(path, "utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function revisionNumber(text: string | undefined, what: string): bigint {
  if (text === undefined || !/^\d+$/.test(text) || BigInt(text) === 0n)
    throw new ConfigUsageError(`${what} must be a revision number (got ${JSON.stringify(text)})`);
  return BigInt(text);
}

function when(revision: ConnectorConfigRevision): string {
  return revision.time === undefined ? "-" : new Date(timestampMs(revision.time)).toISOString();
}

/**
 * `langtian config get|history|validate|set|diff|rollback`: the shared connector configuration
 * through the admin. `get` writes the value alone on stdout (so it can be edited and set
 * again), its revision on stderr.
 * @throws ConfigUsageError for a wrong command line.
 */
export async function config(
  c: ConfigCommandContext,
  args: readonly string[],
  o: ConfigCommandOptions,
): Promise<number> {
  const [sub, ...rest] = args;
  const auth = c.token === undefined ? {} : { headers: { authorization: `Bearer ${c.token}` } };
  switch (sub) {
    case "get": {
      const response = await c.client.getConnectorConfig({ revision: BigInt(o.revision ?? 0) });
      if (c.json) c.out.out(JSON.stringify(toJson(GetConnectorConfigResponseSchema, response)));
      else if (response.config === undefined)
        c.err.out("no shared connector configuration: every bridge applies its own");
      else {
        c.err.out(`revision ${response.config.revision} (${when(response.config)})`);
        c.out.out(response.config.deleted ? "" : response.config.value.trimEnd());
      }
      return ExitCode.ok;
    }
    case "history": {
      const response = await c.client.listConnectorConfigRevisions({ limit: o.limit ?? 0 });
      if (c.json) c.out.out(JSON.stringify(toJson(ListConnectorConfigRevisionsResponseSchema, response)));
      else
        c.out.out(
          formatTable(
            ["REVISION", "TIME", "VALUE"],
            response.revisions.map((r) => [
              String(r.revision),
              when(r),
              r.deleted ? "(deleted)" : r.value.replace(/\s+/g, " ").slice(0, 80),
            ]),
          ),
        );
      return ExitCode.ok;
    }
    case "validate": {
      const response = await c.client.validateConnectorConfig({
        value: await readValue(rest[0]),
        sampleSubjects: [...o.subjects],
      });
      if (c.json) c.out.out(JSON.stringify(toJson(ValidateConnectorConfigResponseSchema, response)));
      else if (!response.valid) for (const p of response.problems) c.err.out(p);
      else {
        c.out.out("valid");
        if (response.routes.length > 0)
          c.out.out(
            formatTable(
              ["SUBJECT", "TOPIC", "RULE"],
              response.routes.map((r) => [
                r.subject,
                r.problem === "" ? r.topic : `(${r.problem})`,
                r.rule === "" ? "(default)" : r.rule,
              ]),
            ),
          );
      }
      return response.valid ? ExitCode.ok : ExitCode.failed;
    }
    case "set": {
      const value = await readValue(rest[0]);
      const response = await c.client.setConnectorConfig(
        { value, ...(o.expect === undefined ? {} : { expectedRevision: BigInt(o.expect) }) },
        auth,
      );
      if (c.json) c.out.out(JSON.stringify(toJson(SetConnectorConfigResponseSchema, response)));
      else c.out.out(`revision ${response.config?.revision ?? 0n} written`);
      return ExitCode.ok;
    }
    case "diff": {
      // `diff <from> [<to>]`, or `diff [<from>] --file <proposed>`; a revision 0 is the current one.
      const from = rest[0] === undefined ? 0n : revisionNumber(rest[0], "the revision to diff from");
      const to = rest[1] === undefined ? 0n : revisionNumber(rest[1], "the revision to diff to");
      if (o.file === undefined && rest[0] === undefined)
        throw new ConfigUsageError("name a revision to diff from, or a proposed value with --file");
      const response = await c.client.diffConnectorConfig({
        fromRevision: from,
        toRevision: to,
        toValue: o.file === undefined ? "" : await readValue(o.file),
      });
      if (c.json) c.out.out(JSON.stringify(toJson(DiffConnectorConfigResponseSchema, response)));
      else {
        const target = o.file !== undefined ? o.file : `revision ${response.toRevision}`;
        c.out.out(`revision ${response.fromRevision} → ${target}`);
        if (response.changes.length === 0) c.out.out("no changes");
        for (const ch of response.changes)
          c.out.out(
            ch.from === ""
              ? `+ ${ch.path} ${ch.to}`
              : ch.to === ""
                ? `- ${ch.path} ${ch.from}`
                : `~ ${ch.path} ${ch.from} → ${ch.to}`,
          );
      }
      return ExitCode.ok;
    }
    case "rollback": {
      const revision = revisionNumber(rest[0], "the revision to roll back to");
      const response = await c.client.rollbackConnectorConfig({ revision }, auth);
      if (c.json) c.out.out(JSON.stringify(toJson(RollbackConnectorConfigResponseSchema, response)));
      else
        c.out.out(`revision ${response.config?.revision ?? 0n} written (the value of revision ${revision})`);
      return ExitCode.ok;
    }
    default:
      throw new ConfigUsageError(
        sub === undefined
          ? "name a config subcommand: get, history, validate, set, diff, rollback"
          : `unknown config subcommand ${JSON.stringify(sub)}`,
      );
  }
}
