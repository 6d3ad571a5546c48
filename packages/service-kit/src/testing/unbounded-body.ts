/**
 * A client that uploads a body far larger than any limit, chunk by chunk (never holding it
 * in memory), and reports how the server answered and how much it managed to send before
 * the server stopped it. Used to prove that a limit is enforced while reading.
 */
import http from "node:http";
import http2 from "node:http2";

/** What to upload. */
export interface UnboundedBodyOptions {
  /** Server base URL, e.g. `http://127.0.0.1:4101`. */
  readonly url: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Bytes to offer in total (e.g. 200 MiB). */
  readonly totalBytes: number;
  /** Also send `content-length` (default false: chunked / no length, so the server must count). */
  readonly declareLength?: boolean;
  /** HTTP/2 with prior knowledge (h2c) instead of HTTP/1.1. */
  readonly http2?: boolean;
  /** Gives up (and says so) when the exchange has not ended after this long (default 60 s). */
  readonly giveUpAfterMs?: number;
}

/** How the upload ended. */
export interface UnboundedBodyResult {
  /** HTTP status of the answer; undefined when none arrived. */
  readonly status: number | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** Bytes the client handed to its socket before the exchange ended. */
  readonly sentBytes: number;
  /** True when the whole body was sent (the server read it all). */
  readonly sentAll: boolean;
  /** True when the exchange did not end within `giveUpAfterMs` (the server neither answered nor closed). */
  readonly gaveUp: boolean;
}

const CHUNK = new Uint8Array(64 * 1024).fill(0x20);

/** Uploads up to `totalBytes`, stopping when the server answers and closes or resets. */
export function sendUnboundedBody(options: UnboundedBodyOptions): Promise<UnboundedBodyResult> {
  return options.http2 === true ? sendHttp2(options) : sendHttp1(options);
}

function sendHttp1(o: UnboundedBodyOptions): Promise<UnboundedBodyResult> {
  return new Promise((resolve) => {
    const target = new URL(o.path, o.url);
    const request = http.request(target, {
      method: "POST",
      agent: false,
      headers: {
        ...o.headers,
        ...(o.declareLength === true ? { "content-length": String(o.totalBytes) } : {}),
      },
    });
    let sent = 0;
    let status: number | undefined;
    let headers: http.IncomingHttpHeaders = {};
    let body = "";
    let gaveUp = false;
    const timer = setTimeout(() => {
      gaveUp = true;
      request.destroy();
    }, o.giveUpAfterMs ?? 60_000);
    request.on("response", (response) => {
      status = response.statusCode;
      headers = response.headers;
      response.setEncoding("utf8");
      response.on("data", (c: string) => {
        body += c;
      });
      response.on("error", () => {});
    });
    // EPIPE / ECONNRESET once the server closed: the expected end of a refused upload.
    request.on("error", () => {});
    request.on("close", () => {
      clearTimeout(timer);
      resolve({ status, headers, body, sentBytes: sent, sentAll: sent >= o.totalBytes, gaveUp });
    });
    const pump = (): void => {
      while (sent < o.totalBytes && !request.destroyed) {
        const piece = Math.min(CHUNK.length, o.totalBytes - sent);
        sent += piece;
        if (!request.write(CHUNK.subarray(0, piece))) {
          request.once("drain", pump);
          return;
        }
      }
      if (!request.destroyed) request.end();
    };
    pump();
  });
}

function sendHttp2(o: UnboundedBodyOptions): Promise<UnboundedBodyResult> {
  return new Promise((resolve) => {
    const session = http2.connect(o.url);
    session.on("error", () => {});
    const stream = session.request({
      ":method": "POST",
      ":path": o.path,
      ...o.headers,
      ...(o.declareLength === true ? { "content-length": String(o.totalBytes) } : {}),
    });
    let sent = 0;
    let status: number | undefined;
    let headers: http2.IncomingHttpHeaders = {};
    let body = "";
    let gaveUp = false;
    const timer = setTimeout(() => {
      gaveUp = true;
      stream.destroy();
    }, o.giveUpAfterMs ?? 60_000);
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      headers = h;
    });
    stream.setEncoding("utf8");
    stream.on("data", (c: string) => {
      body += c;
    });
    stream.on("error", () => {});
    // The server reset the stream (NO_ERROR after its answer: "stop sending"): Node reports
    // 'aborted' but emits 'close' only once the blocked writes are given up.
    stream.on("aborted", () => stream.destroy());
    stream.on("close", () => {
      clearTimeout(timer);
      session.destroy();
      resolve({ status, headers, body, sentBytes: sent, sentAll: sent >= o.totalBytes, gaveUp });
    });
    const pump = (): void => {
      while (sent < o.totalBytes && !stream.destroyed && !stream.closed) {
        const piece = Math.min(CHUNK.length, o.totalBytes - sent);
        sent += piece;
        if (!stream.write(CHUNK.subarray(0, piece))) {
          stream.once("drain", pump);
          return;
        }
      }
      if (!stream.destroyed && !stream.closed) stream.end();
    };
    pump();
  });
}
