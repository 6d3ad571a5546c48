/**
 * One TCP port serving HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge, as gRPC
 * clients speak it). Node's `http2.createServer` does not fall back to HTTP/1.1 without TLS,
 * so a plain `net.Server` reads the first bytes of each connection: the HTTP/2 connection
 * preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) sends the socket to an `http2.Server`,
 * anything else to an `http.Server`. Both share one request handler (Fastify's).
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
export const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** A request handler usable for both protocols (Node's compat API). */
export type DualRequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/**
 * The server Fastify's `serverFactory` returns: a `net.Server` plus the connection-closing
 * methods Fastify calls on `close()` (so keep-alive sockets and HTTP/2 sessions end gracefully).
 */
export interface DualProtocolServer extends net.Server {
  /** The inner HTTP/1.1 server. */
  readonly http1: http.Server;
  /** The inner cleartext HTTP/2 server. */
  readonly http2: http2.Http2Server;
  /** Closes idle HTTP/1.1 keep-alive connections. */
  closeIdleConnections(): void;
  /** Destroys every HTTP/1.1 connection. */
  closeAllConnections(): void;
  /** Sends GOAWAY on every HTTP/2 session; in-flight streams finish. */
  closeHttp2Sessions(): void;
}

/** Options of `createDualProtocolServer`. */
export interface DualProtocolServerOptions {
  /** HTTP/1.1 keep-alive timeout in ms (default Node's). */
  readonly keepAliveTimeoutMs?: number;
  /** How long a new connection may stay silent before it is dropped, in ms (default 10000). */
  readonly sniffTimeoutMs?: number;
}

/**
 * Decides the protocol from a connection's first bytes: `h2` once the full HTTP/2 preface is
 * there, `http1` as soon as a byte differs from it, undefined while it could still be either.
 */
export function sniffProtocol(firstBytes: Uint8Array): "h2" | "http1" | undefined {
  const n = Math.min(firstBytes.length, HTTP2_PREFACE.length);
  for (let i = 0; i < n; i++) {
    if (firstBytes[i] !== HTTP2_PREFACE[i]) return "http1";
  }
  return n === HTTP2_PREFACE.length ? "h2" : undefined;
}

/** Creates the sniffing server; call `listen()` on it (Fastify does). */
export function createDualProtocolServer(
  handler: DualRequestHandler,
  options: DualProtocolServerOptions = {},
): DualProtocolServer {
  const h1 = http.createServer((req, res) => handler(req, res));
  if (options.keepAliveTimeoutMs !== undefined) h1.keepAliveTimeout = options.keepAliveTimeoutMs;
  const h2 = http2.createServer({}, (req, res) => handler(req, res));
  // A broken HTTP/2 client only loses its own session; say so explicitly rather than rely on defaults.
  h2.on("sessionError", () => {});
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const sniffTimeoutMs = options.sniffTimeoutMs ?? 10_000;

  const server = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    const onError = (): void => {
      socket.destroy();
    };
    // A client that connects and says nothing must not hold the port open forever.
    socket.setTimeout(sniffTimeoutMs, () => socket.destroy());
    socket.on("error", onError);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const protocol = sniffProtocol(buffered);
      if (protocol === undefined) return;
      const isPrefacePrefix = protocol === "h2";
      socket.off("data", onData);
      socket.off("error", onError);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(buffered);
      if (isPrefacePrefix) {
        // The HTTP/2 session reads the socket's buffered bytes (the unshifted preface) itself;
        // resuming here would hand them to a JS 'data' event nobody listens to.
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        // The HTTP/1.1 parser listens for 'data'; the socket was paused above, so restart the flow.
        socket.resume();
      }
    };
    socket.on("data", onData);
  }) as DualProtocolServer;

  Object.assign(server, {
    http1: h1,
    http2: h2,
    closeIdleConnections: () => h1.closeIdleConnections(),
    closeAllConnections: () => {
      h1.closeAllConnections();
      for (const s of sessions) s.destroy();
    },
    closeHttp2Sessions: () => {
      for (const s of sessions) s.close();
    },
  });
  // Fastify installs its clientError handler (400 reply, log) on the server it was given;
  // the HTTP/1.1 parser lives on the inner server, so move such listeners there. Without
  // one, Node's default (a 400/408/431 reply) applies.
  server.on("newListener", (event: string | symbol, listener: (...args: unknown[]) => void) => {
    if (event === "clientError") h1.on("clientError", listener);
  });
  // http.Server tracks its connections (for closeIdleConnections and the request/headers
  // timeouts) only once it has emitted 'listening'. The inner server never listens itself,
  // so pass the outer server's event on.
  server.on("listening", () => h1.emit("listening"));
  server.on("close", () => {
    h1.close();
    h2.close();
  });
  return server;
}
