import { toJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import {
  type AdminService,
  type DeadLetter,
  DeadLetterSchema,
  ListDeadLettersResponseSchema,
  ReplayDeadLettersResponseSchema,
} from "@langtian/proto";
import { ExitCode, type Output } from "./commands.ts";
import { formatTable } from "./table.ts";

/** The command line is wrong for `dlq`. */
export class DlqUsageError extends Error {
  override readonly name = "DlqUsageError";
}

/** What `langtian dlq` reads from the command line. */
export interface DlqArgs {
  readonly rest: readonly string[];
  readonly stage: string | undefined;
  readonly reason: string | undefined;
  readonly limit: number;
  readonly cursor: string | undefined;
  readonly token: string | undefined;
  readonly json: boolean;
}

/**
 * `langtian dlq list|show <id>|replay <id…>`: the dead letters of every stage, one with its
 * raw bytes (base64), and replaying some (operator token). `replay` exits 1 when any was not
 * replayed.
 */
export async function dlq(client: Client<typeof AdminService>, a: DlqArgs, o: Output): Promise<number> {
  const [sub, ...ids] = a.rest;
  switch (sub) {
    case "list": {
      const response = await client.listDeadLetters({
        stage: a.stage ?? "",
        reason: a.reason ?? "",
        limit: a.limit,
        cursor: a.cursor ?? "",
      });
      if (a.json) o.out(JSON.stringify(toJson(ListDeadLettersResponseSchema, response)));
      else {
        o.out(
          formatTable(
            ["ID", "FAILED AT", "REASON", "EVENT", "BYTES", "ERROR"],
            response.deadLetters.map((d) => [
              d.id,
              time(d),
              d.reason,
              d.eventId || "-",
              String(d.rawBytes),
              d.error.length > 80 ? `${d.error.slice(0, 77)}...` : d.error,
            ]),
          ),
        );
        for (const [stage, error] of Object.entries(response.errors))
          o.out(`${stage}: not readable: ${error}`);
        if (response.nextCursor !== "") o.out(`more: --cursor '${response.nextCursor}'`);
      }
      return ExitCode.ok;
    }
    case "show": {
      const id = ids[0];
      if (id === undefined) throw new DlqUsageError("name the dead letter to show");
      const { deadLetter } = await client.getDeadLetter({ id });
      if (deadLetter === undefined) return ExitCode.failed;
      if (a.json) o.out(JSON.stringify(toJson(DeadLetterSchema, deadLetter)));
      else {
        const origin = deadLetter.origin;
        const lines = [
          ["id", deadLetter.id],
          ["stage", deadLetter.stage],
          ["failed at", time(deadLetter)],
          ["reason", deadLetter.reason],
          ["error", deadLetter.error],
          ["event", `${deadLetter.eventId || "-"} ${deadLetter.eventType}`.trim()],
          ["subject", origin?.subject ?? ""],
          ["stream seq", origin?.streamSequence ? String(origin.streamSequence) : ""],
          ["topic", origin?.topic ? `${origin.topic}/${origin.partition}@${origin.offset}` : ""],
          [
            "lake",
            origin?.lakeSource ? `${origin.lakeSource}/${origin.lakePartition}@${origin.lakePosition}` : "",
          ],
          ["listener", origin?.listener ?? ""],
          ["raw", `${deadLetter.rawBytes} bytes, base64: ${Buffer.from(deadLetter.raw).toString("base64")}`],
        ];
        for (const [k, v] of lines) if (v !== "") o.out(`${(k as string).padEnd(11)} ${v}`);
      }
      return ExitCode.ok;
    }
    case "replay": {
      if (ids.length === 0) throw new DlqUsageError("name the dead letters to replay");
      const response = await client.replayDeadLetters(
        { ids },
        a.token === undefined ? {} : { headers: { authorization: `Bearer ${a.token}` } },
      );
      if (a.json) o.out(JSON.stringify(toJson(ReplayDeadLettersResponseSchema, response)));
      else
        o.out(
          formatTable(
            ["ID", "REPLAYED", "DETAIL"],
            response.results.map((r) => [r.id, r.replayed ? "yes" : "no", r.detail]),
          ),
        );
      return response.results.every((r) => r.replayed) ? ExitCode.ok : ExitCode.failed;
    }
    default:
      throw new DlqUsageError(
        `dlq ${sub === undefined ? "needs" : `has no ${JSON.stringify(sub)}:`} list, show or replay`,
      );
  }
}

function time(d: DeadLetter): string {
  return d.failedAt === undefined ? "-" : new Date(timestampMs(d.failedAt)).toISOString();
}
