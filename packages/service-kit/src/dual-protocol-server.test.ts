import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import type { DualProtocolServer } from "./dual-protocol-server.ts";
import { createDualProtocolServer, HTTP2_PREFACE, sniffProtocol } from "./dual-protocol-server.ts";

describe("dual-protocol server (HTTP/1.1 and h2c on one port)", () => {
  let server: DualProtocolServer;
  let port = 0;

  before(async () => {
    server = createDualProtocolServer((req, res) => {
      let size = 0;
      req.on("data", (c: Buffer) => {
        size += c.length;
      });
      req.on("end", () => {
        res.setHeader("content-type", "text/plain");
        res.end(`${req.httpVersion} ${req.method} ${req.url} ${size}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  after(async () => {
    server.closeIdleConnections();
    server.closeHttp2Sessions();
    await new Promise((resolve) => server.close(resolve));
  });

  function h1(path: string, body?: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port, path, method: body ? "POST" : "GET", agent: false },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            text += c;
          });
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  async function h2(paths: string[], body?: Buffer): Promise<string[]> {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      return await Promise.all(
        paths.map(
          (path) =>
            new Promise<string>((resolve, reject) => {
              const req = session.request({ ":path": path, ":method": body ? "POST" : "GET" });
              let text = "";
              req.setEncoding("utf8");
              req.on("data", (c: string) => {
                text += c;
              });
              req.on("end", () => resolve(text));
              req.on("error", reject);
              req.end(body);
            }),
        ),
      );
    } finally {
      session.close();
    }
  }

  it("serves HTTP/1.1 requests", async () => {
    assert.equal(await h1("/a"), "1.1 GET /a 0");
  });

  it("serves cleartext HTTP/2 with prior knowledge, several streams on one connection", async () => {
    assert.deepEqual(await h2(["/x", "/y", "/z"]), ["2.0 GET /x 0", "2.0 GET /y 0", "2.0 GET /z 0"]);
  });

  it("passes large request bodies through on both protocols", async () => {
    const body = Buffer.alloc(300_000, 7);
    assert.equal(await h1("/big", body), "1.1 POST /big 300000");
    assert.deepEqual(await h2(["/big"], body), ["2.0 POST /big 300000"]);
  });

  it("recognises the HTTP/2 preface even when it arrives split across packets", async () => {
    // A relay that sends the client's first bytes one at a time, then passes the rest through.
    const relay = net.createServer((client) => {
      const upstream = net.connect(port, "127.0.0.1");
      upstream.setNoDelay(true);
      upstream.pipe(client);
      client.once("data", async (first: Buffer) => {
        client.pause();
        for (const byte of first.subarray(0, 12)) {
          await new Promise<void>((r) => upstream.write(Buffer.of(byte), () => setImmediate(r)));
        }
        upstream.write(first.subarray(12));
        client.pipe(upstream);
        client.resume();
      });
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    const relayPort = (relay.address() as net.AddressInfo).port;
    const session = http2.connect(`http://127.0.0.1:${relayPort}`);
    try {
      const text = await new Promise<string>((resolve, reject) => {
        const req = session.request({ ":path": "/split" });
        let out = "";
        req.setEncoding("utf8");
        req.on("data", (c: string) => {
          out += c;
        });
        req.on("end", () => resolve(out));
        req.on("error", reject);
        req.end();
      });
      assert.equal(text, "2.0 GET /split 0");
    } finally {
      session.close();
      await new Promise((r) => relay.close(r));
    }
  });

  it("keeps serving after clients send garbage on either protocol or vanish mid-preface", async () => {
    for (const bytes of [
      Buffer.concat([HTTP2_PREFACE, Buffer.from("this is not a frame at all.......")]),
      Buffer.from("NOT HTTP AT ALL\r\n\r\n"),
      HTTP2_PREFACE.subarray(0, 8),
    ]) {
      const socket = net.connect(port, "127.0.0.1");
      socket.on("error", () => {});
      // Read (and drop) whatever the server answers, so its closing FIN is seen.
      socket.resume();
      await new Promise((r) => socket.once("connect", r));
      socket.end(bytes);
      await new Promise((r) => socket.once("close", r));
    }
    assert.equal(await h1("/still"), "1.1 GET /still 0");
    assert.deepEqual(await h2(["/still"]), ["2.0 GET /still 0"]);
  });

  it("decides the protocol only once the bytes tell", () => {
    assert.equal(sniffProtocol(Buffer.alloc(0)), undefined);
    assert.equal(sniffProtocol(HTTP2_PREFACE.subarray(0, 5)), undefined);
    assert.equal(sniffProtocol(HTTP2_PREFACE), "h2");
    assert.equal(sniffProtocol(Buffer.concat([HTTP2_PREFACE, Buffer.from([0, 0, 0, 4])])), "h2");
    assert.equal(sniffProtocol(Buffer.from("GET / HTTP/1.1\r\n")), "http1");
    assert.equal(sniffProtocol(Buffer.from("PRI / HTTP/1.1\r\n")), "http1");
    assert.equal(sniffProtocol(Buffer.from("P")), undefined);
  });

  it("hands a connection that starts like the preface but is not it to the HTTP/1.1 parser", async () => {
    // The HTTP/1.1 parser answers (400: it refuses the PRI method) instead of the connection hanging.
    const socket = net.connect(port, "127.0.0.1");
    const reply = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (c: Buffer) => {
        text += c.toString("latin1");
      });
      socket.on("close", () => resolve(text));
      socket.write("PRI /p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    });
    assert.match(reply, /^HTTP\/1\.1 400 Bad Request/);
  });
});
