import {
  type CallOptions,
  Code,
  ConnectError,
  type ConnectRouter,
  createClient,
  type HandlerContext,
  type ServiceImpl,
} from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { QueryService } from "@langtian/proto";

/** What the QueryService proxy needs. */
export interface QueryProxyOptions {
  /** Base URL of the query API; "" = none configured (every call answers `unavailable`). */
  readonly url: string;
  /** The admin's own query API key, sent as `Authorization: Bearer`; undefined = none. */
  readonly key: string | undefined;
  /** Admits the caller before its message is read (the same gate as AdminService's). */
  readonly requestGate: (context: HandlerContext) => void | Promise<void>;
}

/** Response headers of the query API's refusals worth passing on to the caller. */
const PASSED_ON_METADATA = ["retry-after"] as const;

/** Codes of the query API refusing the admin's key: the caller was already admitted by the admin. */
const ADMIN_KEY_REFUSALS: ReadonlySet<Code> = new Set([Code.Unauthenticated, Code.PermissionDenied]);

/**
 * Connect routes: `langtian.query.v1.QueryService`, forwarded call by call to one query API
 * with the admin's own key, so the web UI talks to the admin's origin only (one login, one CORS
 * place). Each call carries the caller's deadline and signal: a caller that goes away cancels
 * the query API's work (a long SQL query, an export). The query API's errors keep their code,
 * message and details (a bad SQL stays `invalid_argument` with DuckDB's message); a query API
 * that cannot be reached is `unavailable`.
 */
export function queryProxyRoutes(options: QueryProxyOptions): (router: ConnectRouter) => void {
  const { url } = options;
  const upstream =
    url === ""
      ? undefined
      : createClient(QueryService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
  const headers =
    options.key === undefined || options.key === "" ? undefined : { authorization: `Bearer ${options.key}` };
  const client = () => {
    if (upstream === undefined)
      throw new ConnectError(
        "no query API configured: set queryApi.url, or list a query-api instance in deployment.instances",
        Code.Unavailable,
      );
    return upstream;
  };
  const callOptions = (context: HandlerContext): CallOptions => {
    const timeoutMs = context.timeoutMs();
    return {
      signal: context.signal,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(headers === undefined ? {} : { headers }),
    };
  };
  const unary = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      throw upstreamError(err, url);
    }
  };
  async function* stream<T>(call: () => AsyncIterable<T>): AsyncGenerator<T> {
    try {
      yield* call();
    } catch (err) {
      throw upstreamError(err, url);
    }
  }
  const impl: ServiceImpl<typeof QueryService> = {
    listTables: (request, context) => unary(() => client().listTables(request, callOptions(context))),
    describeTable: (request, context) => unary(() => client().describeTable(request, callOptions(context))),
    browse: (request, context) => unary(() => client().browse(request, callOptions(context))),
    getEvent: (request, context) => unary(() => client().getEvent(request, callOptions(context))),
    aggregate: (request, context) => unary(() => client().aggregate(request, callOptions(context))),
    async *sql(request, context) {
      yield* stream(() => client().sql(request, callOptions(context)));
    },
    listSnapshots: (request, context) => unary(() => client().listSnapshots(request, callOptions(context))),
    changes: (request, context) => unary(() => client().changes(request, callOptions(context))),
    async *export(request, context) {
      yield* stream(() => client().export(request, callOptions(context)));
    },
  };
  return (router) => {
    router.service(QueryService, impl, { requestGate: options.requestGate });
  };
}

/**
 * The error to answer for a failed upstream call. An answer of the query API keeps its code,
 * message and details, but not its headers (they describe the query API's response, not ours),
 * except {@link PASSED_ON_METADATA}; a refusal of the admin's key says so. A call that never
 * got an answer is `unavailable`, naming the query API.
 */
function upstreamError(err: unknown, url: string): ConnectError {
  const error = ConnectError.from(err);
  if (!error.isWireError) {
    // No answer from the query API: connection refused, reset, DNS, or our caller went away.
    if (error.code === Code.Canceled || error.code === Code.DeadlineExceeded) return error;
    return new ConnectError(
      `the query API at ${url} is not reachable: ${error.rawMessage}`,
      Code.Unavailable,
      undefined,
      undefined,
      err,
    );
  }
  const metadata = new Headers();
  for (const name of PASSED_ON_METADATA) {
    const value = error.metadata.get(name);
    if (value !== null) metadata.set(name, value);
  }
  // Refused for the admin's own key, not for the caller's: say so, or it reads like the caller's login failed.
  const message = ADMIN_KEY_REFUSALS.has(error.code)
    ? `the query API refused the admin's key (queryApi.key): ${error.rawMessage}`
    : error.rawMessage;
  const answer = new ConnectError(message, error.code, metadata, undefined, err);
  answer.details = error.details;
  return answer;
}
