import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type JsonValue, toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type * as grpc from "@grpc/grpc-js";
import { QueryService, type Row } from "@langtian/proto";
import { provisionDuckdbExtensions } from "@langtian/provision";
import { type GrpcCallback, grpcClient, grpcUnary } from "@langtian/testing";
import { createApp, type QueryApiApp } from "../src/app.ts";
import { startWrittenLake, type WrittenLake } from "../src/testing/index.ts";

const EVENTS = 200;
const PAGE = 5;
const PROCEDURE = "/langtian.query.v1.QueryService";

/** What every protocol must answer alike: the same four calls, reduced to comparable values. */
interface Answers {
  /** Event tables with their rows. */
  readonly tables: [string, string][];
  /** Event ids of the first browse page. */
  readonly page: string[];
  /** GetEvent of the first id: its table, its event_id cell and its lineage's source. */
  readonly event: [string, string, string];
  /** The streamed Sql's rows (source system, count) and the summary's row count. */
  readonly sql: { rows: [string, string][]; summaryRows: string; parts: string[] };
}

const SQL = (table: string) => `SELECT source_system, count(*) AS n FROM lake.${table} GROUP BY 1 ORDER BY 1`;

/**
 * The query API on one port, called the same way over Connect (binary over HTTP/2, JSON over
 * HTTP/1.1), gRPC with the stock grpc-js client, gRPC-Web, and plain HTTP (Connect's JSON
 * POST, its GET for side-effect-free RPCs, and an enveloped POST for the stream), all of them
 * answering the same values.
 */
describe("query API protocols (real lake writer, SQLite catalog)", () => {
  let lake: WrittenLake;
  let app: QueryApiApp;
  let url: string;
  let expected: Answers;
  const calledOver: string[] = [];

  before(async () => {
    await provisionDuckdbExtensions();
    lake = await startWrittenLake(EVENTS);
    app = createApp(lake.queryApiConfig());
    await app.start();
    ({ url } = await app.service.listen());
  });
  after(async () => {
    await app?.stop();
    await lake?.stop();
  });

  it("answers a Connect client in binary over HTTP/2", async () => {
    const answers = await viaConnectClient(createConnectTransport({ baseUrl: url, httpVersion: "2" }));
    const table = answers.tables[0]?.[0] ?? assert.fail("no event table");
    assert.deepEqual(answers.tables, [[table, String(EVENTS)]]);
    assert.equal(answers.page.length, PAGE);
    assert.equal(new Set(answers.page).size, PAGE);
    assert.deepEqual(answers.event, [table, answers.page[0], `kafka:${lake.topic}`]);
    assert.deepEqual(answers.sql, {
      rows: [
        ["plant-a", String(EVENTS / 2)],
        ["plant-b", String(EVENTS / 2)],
      ],
      summaryRows: "2",
      parts: ["header", "rows", "summary"],
    });
    expected = answers;
    calledOver.push("connect-binary");
  });

  it("answers a Connect client in JSON over HTTP/1.1 alike", async () => {
    const transport = createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: false });
    assert.deepEqual(await viaConnectClient(transport), expected);
    calledOver.push("connect-json");
  });

  it("answers a gRPC-Web client alike", async () => {
    const transport = createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" });
    assert.deepEqual(await viaConnectClient(transport), expected);
    calledOver.push("grpc-web");
  });

  it("answers the stock grpc-js client over cleartext HTTP/2 alike", async () => {
    const client = grpcClient<GrpcQueryClient>(
      "langtian/query/v1/query.proto",
      "langtian.query.v1.QueryService",
      url,
    );
    try {
      assert.deepEqual(await viaGrpcJs(client), expected);
    } finally {
      client.close();
    }
    calledOver.push("grpc");
  });

  it("answers plain HTTP: Connect JSON POST, Connect GET, and the stream as enveloped JSON", async () => {
    assert.deepEqual(await viaPlainHttp(url), expected);
    calledOver.push("http");
  });

  it("counts rows per RPC, times every RPC, and reports the snapshot's age", async () => {
    assert.equal(calledOver.length, 5, `every protocol ran: ${calledOver.join(", ")}`);
    const n = calledOver.length;
    const text = await (await fetch(`${url}/metrics`)).text();
    const value = (name: string, labels: string) => {
      // prom-client may put the registry's default labels before or after the metric's own.
      const line = text
        .split("\n")
        .find((l) => l.startsWith(`langtian_query_api_${name}{`) && l.includes(labels));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
    };
    assert.equal(value("rows_returned_total", 'rpc="ListTables"'), n * expected.tables.length);
    assert.equal(value("rows_returned_total", 'rpc="Browse"'), n * PAGE);
    assert.equal(value("rows_returned_total", 'rpc="GetEvent"'), n);
    assert.equal(value("rows_returned_total", 'rpc="Sql"'), n * 2);
    for (const rpc of ["ListTables", "Browse", "GetEvent", "Sql"]) {
      const method = `langtian.query.v1.QueryService/${rpc}`;
      assert.equal(value("rpc_duration_seconds_count", `method="${method}"`), n, `${rpc} timed`);
      assert.equal(value("rpc_requests_total", `method="${method}",code="ok"`), n, `${rpc} counted`);
    }
    const age = value("snapshot_age_seconds", "");
    assert.ok(age !== undefined && age >= 0 && age < 600, `snapshot age ${age}`);
  });

  it("counts rejected statements by reason and statements stopped at their time limit", async () => {
    const client = createClient(QueryService, createConnectTransport({ baseUrl: url, httpVersion: "2" }));
    const drain = async (request: Parameters<typeof client.sql>[0]) => {
      try {
        for await (const _ of client.sql(request)) {
          // drained
        }
        return "ok";
      } catch (err) {
        return ConnectError.from(err).code;
      }
    };
    assert.equal(await drain({ sql: "COPY (SELECT 1) TO '/tmp/x.csv'" }), Code.InvalidArgument);
    assert.equal(await drain({ sql: "SELECT * FROM read_text('/etc/passwd')" }), Code.InvalidArgument);
    assert.equal(await drain({ sql: "SELECT * FROM read_text('/etc/hosts')" }), Code.InvalidArgument);
    assert.equal(await drain({ sql: "SELECT * FROM main.secrets" }), Code.InvalidArgument);
    assert.equal(
      await drain({
        sql: "SELECT count(*) FROM range(100000) a, range(100000) b WHERE a.range * b.range % 7 = 3",
        timeoutMs: 200,
      }),
      Code.DeadlineExceeded,
    );
    const text = await (await fetch(`${url}/metrics`)).text();
    const counts = Object.fromEntries(
      [
        ...text.matchAll(/^langtian_query_api_statements_rejected_total\{reason="([a-z_]+)"[^}]*\} (\d+)/gm),
      ].map((m) => [m[1], Number(m[2])]),
    );
    assert.deepEqual(counts, { not_select: 1, table_function: 2, outside_lake: 1 });
    assert.match(text, /^langtian_query_api_query_timeouts_total\{[^}]*\} 1$/m);
  });
});

const cell = (row: Row | undefined, i: number): JsonValue =>
  row?.cells[i] === undefined ? null : toJson(ValueSchema, row.cells[i]);

/** The four calls through a Connect client on `transport` (Connect or gRPC-Web). */
async function viaConnectClient(transport: Transport): Promise<Answers> {
  const client: Client<typeof QueryService> = createClient(QueryService, transport);
  const listed = await client.listTables({});
  const tables = listed.tables
    .filter((t) => t.eventTable)
    .map((t): [string, string] => [t.name, String(t.rows)]);
  const table = tables[0]?.[0] ?? assert.fail("no event table");
  const browsed = await client.browse({ filter: { table }, pageSize: PAGE });
  const idIndex = browsed.columns.findIndex((c) => c.name === "event_id");
  const page = browsed.rows.map((r) => String(cell(r, idIndex)));
  const found = await client.getEvent({ eventId: page[0] ?? "" });
  const foundId = String(
    cell(
      found.row,
      found.columns.findIndex((c) => c.name === "event_id"),
    ),
  );
  const rows: [string, string][] = [];
  const parts: string[] = [];
  let summaryRows = "";
  for await (const message of client.sql({ sql: SQL(table) })) {
    const part = message.part;
    parts.push(String(part.case));
    if (part.case === "rows")
      for (const r of part.value.rows) rows.push([String(cell(r, 0)), String(cell(r, 1))]);
    if (part.case === "summary") summaryRows = String(part.value.rows);
  }
  return {
    tables,
    page,
    event: [found.table, foundId, found.lineage?.source ?? ""],
    sql: { rows, summaryRows, parts },
  };
}

type Callback<T> = GrpcCallback<T>;
type Plain = Record<string, unknown>;
/** A `google.protobuf.Value` as proto-loader gives it: `kind` names the set field. */
type GrpcValue = { kind: string } & Record<string, unknown>;
type GrpcRow = { cells: GrpcValue[] };
interface GrpcQueryClient extends grpc.Client {
  ListTables(req: Plain, cb: Callback<{ tables: Plain[] }>): void;
  Browse(req: Plain, cb: Callback<{ columns: { name: string }[]; rows: GrpcRow[] }>): void;
  GetEvent(
    req: Plain,
    cb: Callback<{ table: string; columns: { name: string }[]; row: GrpcRow; lineage: Plain }>,
  ): void;
  Sql(req: Plain): grpc.ClientReadableStream<Plain & { part: string }>;
}

const grpcCell = (value: GrpcValue | undefined): string => String(value?.[value.kind]);

/** The four calls through grpc-js. */
async function viaGrpcJs(client: GrpcQueryClient): Promise<Answers> {
  const listed = await grpcUnary<{ tables: Plain[] }>((cb) => client.ListTables({}, cb));
  const tables = listed.tables
    .filter((t) => t.event_table === true)
    .map((t): [string, string] => [String(t.name), String(t.rows)]);
  const table = tables[0]?.[0] ?? assert.fail("no event table");
  const browsed = await grpcUnary<{ columns: { name: string }[]; rows: GrpcRow[] }>((cb) =>
    client.Browse({ filter: { table }, page_size: PAGE }, cb),
  );
  const idIndex = browsed.columns.findIndex((c) => c.name === "event_id");
  const page = browsed.rows.map((r) => grpcCell(r.cells[idIndex]));
  const found = await grpcUnary<{ table: string; columns: { name: string }[]; row: GrpcRow; lineage: Plain }>(
    (cb) => client.GetEvent({ event_id: page[0] }, cb),
  );
  const foundId = grpcCell(found.row.cells[found.columns.findIndex((c) => c.name === "event_id")]);
  const rows: [string, string][] = [];
  const parts: string[] = [];
  let summaryRows = "";
  await new Promise<void>((resolve, reject) => {
    const stream = client.Sql({ sql: SQL(table) });
    stream.on("data", (message: Plain & { part: string }) => {
      parts.push(message.part);
      if (message.part === "rows")
        for (const r of (message.rows as { rows: GrpcRow[] }).rows)
          rows.push([grpcCell(r.cells[0]), grpcCell(r.cells[1])]);
      if (message.part === "summary") summaryRows = String((message.summary as Plain).rows);
    });
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  return {
    tables,
    page,
    event: [found.table, foundId, String(found.lineage.source)],
    sql: { rows, summaryRows, parts },
  };
}

/**
 * The four calls as `curl` would make them: ListTables as a JSON POST, Browse and GetEvent as
 * Connect GETs (cacheable, since the RPCs declare no side effects), and the streamed Sql as a
 * POST of one enveloped JSON message, read back as enveloped JSON messages and an end-of-stream.
 */
async function viaPlainHttp(baseUrl: string): Promise<Answers> {
  const post = await fetch(`${baseUrl}${PROCEDURE}/ListTables`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(post.status, 200);
  assert.match(String(post.headers.get("content-type")), /^application\/json/);
  const listed = (await post.json()) as { tables: { name: string; rows: string; eventTable?: boolean }[] };
  const tables = listed.tables
    .filter((t) => t.eventTable === true)
    .map((t): [string, string] => [t.name, t.rows]);
  const table = tables[0]?.[0] ?? assert.fail("no event table");

  const get = async (rpc: string, message: object) => {
    const query = new URLSearchParams({ connect: "v1", encoding: "json", message: JSON.stringify(message) });
    const res = await fetch(`${baseUrl}${PROCEDURE}/${rpc}?${query}`);
    assert.equal(res.status, 200, `${rpc}: ${res.status}`);
    return (await res.json()) as {
      table?: string;
      columns: { name: string }[];
      rows?: { cells: JsonValue[] }[];
      row?: { cells: JsonValue[] };
      lineage?: { source: string };
    };
  };
  const browsed = await get("Browse", { filter: { table }, pageSize: PAGE });
  const idIndex = browsed.columns.findIndex((c) => c.name === "event_id");
  const page = (browsed.rows ?? []).map((r) => String(r.cells[idIndex]));
  const found = await get("GetEvent", { eventId: page[0] });
  const foundId = String(found.row?.cells[found.columns.findIndex((c) => c.name === "event_id")]);

  const body = Buffer.from(JSON.stringify({ sql: SQL(table) }));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  const streamed = await fetch(`${baseUrl}${PROCEDURE}/Sql`, {
    method: "POST",
    headers: { "content-type": "application/connect+json", "connect-protocol-version": "1" },
    body: Buffer.concat([head, body]),
  });
  assert.equal(streamed.status, 200);
  const bytes = Buffer.from(await streamed.arrayBuffer());
  const rows: [string, string][] = [];
  const parts: string[] = [];
  let summaryRows = "";
  let ended = false;
  for (let at = 0; at < bytes.length; ) {
    const flags = bytes.readUInt8(at);
    const length = bytes.readUInt32BE(at + 1);
    const message = JSON.parse(bytes.subarray(at + 5, at + 5 + length).toString("utf8")) as Record<
      string,
      unknown
    >;
    at += 5 + length;
    if (flags & 0x02) {
      assert.deepEqual(message, {}, "end of stream without an error");
      ended = true;
      continue;
    }
    const [part] = Object.keys(message);
    parts.push(String(part));
    if (part === "rows")
      for (const r of (message.rows as { rows: { cells: JsonValue[] }[] }).rows)
        rows.push([String(r.cells[0]), String(r.cells[1])]);
    if (part === "summary") summaryRows = String((message.summary as { rows: string }).rows);
  }
  assert.ok(ended, "an end-of-stream message");
  return {
    tables,
    page,
    event: [String(found.table), foundId, String(found.lineage?.source)],
    sql: { rows, summaryRows, parts },
  };
}
