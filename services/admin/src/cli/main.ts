#!/usr/bin/env node
import { parseArgs } from "node:util";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AdminService } from "@langtian/proto";
import { audit, drain, ExitCode, status } from "./commands.ts";

const USAGE = `langtian — operate a Langtian EDA deployment through its admin service

usage:
  langtian status [--json]                       every instance, stream, topic and the lake;
                                                 exit 3 when a part is not ready or unreadable
  langtian drain <instance> [--force] [--deadline <ms>] [--json]
                                                 drain one instance and follow it until drained;
                                                 exit 4 when the deadline passed
  langtian audit [--limit <n>] [--json]          the audit log, newest first

options:
  --admin <url>   the admin service (default $LANGTIAN_ADMIN_URL or http://127.0.0.1:4105)
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
        deadline: { type: "string" },
        limit: { type: "string" },
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
const baseUrl = values.admin ?? process.env.LANGTIAN_ADMIN_URL ?? "http://127.0.0.1:4105";
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
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      process.exitCode = ExitCode.usage;
  }
} catch (err) {
  const e = ConnectError.from(err);
  process.stderr.write(`langtian ${command}: ${e.rawMessage} (${e.code === undefined ? "error" : e.code})\n`);
  process.exitCode = ExitCode.failed;
}
