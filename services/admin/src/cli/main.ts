#!/usr/bin/env node
import { parseArgs } from "node:util";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AdminService } from "@langtian/proto";
import { codeName } from "@langtian/service-kit";
import { audit, drain, ExitCode, status, tail } from "./commands.ts";
import { ConfigUsageError, config } from "./config-commands.ts";
import { DlqUsageError, dlq } from "./dlq-commands.ts";

const USAGE = `langtian — operate a Langtian EDA deployment through its admin service

usage:
  langtian status [--json]                       every instance, stream, topic and the lake;
                                                 exit 3 when a part is not ready or unreadable
  langtian drain <instance> [--wait] [--force] [--deadline <ms>] [--json]
                                                 drain one instance and follow it until drained
                                                 (--wait, the default, is accepted for scripts);
                                                 exit 4 when the deadline passed
  langtian audit [--limit <n>] [--json]          the audit log, newest first
  langtian tail <subject> [--rate <n>] [--sample <n>] [--limit <n>] [--json]
                                                 follow the events of a subject filter, decoded,
                                                 at most <n> per second (default 10), until
                                                 Ctrl-C or <limit> events
  langtian dlq list [--stage <s>] [--reason <r>] [--limit <n>] [--cursor <c>] [--json]
                                                 dead letters of every stage, newest first
  langtian dlq show <id> [--json]                one dead letter: origin, error, raw bytes (base64)
  langtian dlq replay <id>... [--json]           send them back where they came from (operator);
                                                 exit 1 when any was not replayed
  langtian config get [--revision <n>] [--json]  the shared connector configuration (value on stdout)
  langtian config history [--limit <n>] [--json] its revisions, newest first
  langtian config validate <file|-> [--subject <s>]... [--json]
                                                 check a value and dry-run its routing on subjects;
                                                 exit 1 when invalid
  langtian config set <file|-> [--expect <rev>] [--json]
                                                 write a new revision (only over revision <rev>,
                                                 0 = only when none yet, with --expect)
  langtian config diff <from> [<to>] | diff [<from>] --file <file|-> [--json]
                                                 what changed between revisions (current when
                                                 left out) or to a proposed value
  langtian config rollback <revision> [--json]   write an earlier revision's value as a new one

options:
  --admin <url>   the admin service (default $LANGTIAN_CLI_ADMIN_URL or http://127.0.0.1:4105)
  --token <t>     operator token for mutations (default $LANGTIAN_OPERATOR_TOKEN)
  --json          machine-readable output (one JSON document, or one per line for drain)
`;

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        admin: { type: "string" },
        token: { type: "string" },
        json: { type: "boolean", default: false },
        force: { type: "boolean", default: false },
        wait: { type: "boolean", default: true },
        deadline: { type: "string" },
        limit: { type: "string" },
        rate: { type: "string" },
        stage: { type: "string" },
        reason: { type: "string" },
        cursor: { type: "string" },
        sample: { type: "string" },
        revision: { type: "string" },
        expect: { type: "string" },
        file: { type: "string" },
        subject: { type: "string", multiple: true },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exit(ExitCode.usage);
  }
})();

const [command, ...rest] = positionals;
if (values.help || command === undefined) {
  process.stdout.write(USAGE);
  process.exit(values.help ? ExitCode.ok : ExitCode.usage);
}
const baseUrl = values.admin ?? process.env.LANGTIAN_CLI_ADMIN_URL ?? "http://127.0.0.1:4105";
const token = values.token ?? process.env.LANGTIAN_OPERATOR_TOKEN;
const client = createClient(AdminService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
const output = { out: (text: string) => process.stdout.write(`${text}\n`) };
const number = (text: string | undefined, fallback: number, name: string): number => {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive integer (got ${JSON.stringify(text)})\n`);
    process.exit(ExitCode.usage);
  }
  return n;
};

try {
  switch (command) {
    case "status":
      process.exitCode = await status(client, values.json, output);
      break;
    case "drain": {
      const instance = rest[0];
      if (instance === undefined) {
        process.stderr.write(`name the instance to drain\n\n${USAGE}`);
        process.exit(ExitCode.usage);
      }
      process.exitCode = await drain(
        client,
        { instance, force: values.force, deadlineMs: number(values.deadline, 60_000, "deadline") },
        token,
        values.json,
        output,
      );
      break;
    }
    case "audit":
      process.exitCode = await audit(client, number(values.limit, 50, "limit"), token, values.json, output);
      break;
    case "tail": {
      const subjectFilter = rest[0];
      if (subjectFilter === undefined) {
        process.stderr.write(`name the subject (filter) to tail\n\n${USAGE}`);
        process.exit(ExitCode.usage);
      }
      const interrupted = new AbortController();
      process.once("SIGINT", () => interrupted.abort());
      process.exitCode = await tail(
        client,
        {
          subjectFilter,
          maxEventsPerSecond: number(values.rate, 10, "rate"),
          sample: number(values.sample, 1, "sample"),
        },
        values.limit === undefined ? undefined : number(values.limit, 1, "limit"),
        values.json,
        output,
        interrupted.signal,
      );
      break;
    }
    case "dlq":
      try {
        process.exitCode = await dlq(
          client,
          {
            rest,
            stage: values.stage,
            reason: values.reason,
            limit: number(values.limit, 50, "limit"),
            cursor: values.cursor,
            token,
            json: values.json,
          },
          output,
        );
      } catch (err) {
        if (!(err instanceof DlqUsageError)) throw err;
        process.stderr.write(`${err.message}\n\n${USAGE}`);
        process.exitCode = ExitCode.usage;
      }
      break;
    case "config": {
      const expect = values.expect;
      if (expect !== undefined && !/^\d+$/.test(expect)) {
        process.stderr.write(`--expect must be a revision number (got ${JSON.stringify(expect)})\n`);
        process.exit(ExitCode.usage);
      }
      try {
        process.exitCode = await config(
          {
            client,
            token,
            json: values.json,
            out: output,
            err: { out: (t) => process.stderr.write(`${t}\n`) },
          },
          rest,
          {
            revision: values.revision === undefined ? undefined : number(values.revision, 0, "revision"),
            expect: expect === undefined ? undefined : Number(expect),
            file: values.file,
            subjects: values.subject ?? [],
            limit: values.limit === undefined ? undefined : number(values.limit, 0, "limit"),
          },
        );
      } catch (err) {
        if (!(err instanceof ConfigUsageError)) throw err;
        process.stderr.write(`${err.message}\n\n${USAGE}`);
        process.exitCode = ExitCode.usage;
      }
      break;
    }
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      process.exitCode = ExitCode.usage;
  }
} catch (err) {
  const e = ConnectError.from(err);
  process.stderr.write(`langtian ${command}: ${e.rawMessage} (${codeName(e.code)})\n`);
  process.exitCode = ExitCode.failed;
}
