import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import {
  describePortOwner,
  findPortOwners,
  parseNetstatOutput,
  parseSsOutput,
  parseTasklistName,
  procNetInodes,
} from "./port-owner.ts";

const procNetTcp = [
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
  "   0: 0100007F:107E 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000 100 0 0 10 0",
  "   1: 0100007F:107E 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000 20 4 0 10 -1",
  "   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1 0000 100 0 0 10 0",
].join("\n");

describe("port owner", () => {
  it("takes the listening sockets of the port from /proc/net/tcp, not its connections", () => {
    assert.deepEqual(procNetInodes(procNetTcp, 4222, "tcp"), ["4242"]);
    assert.deepEqual(procNetInodes(procNetTcp, 8080, "tcp"), ["5151"]);
    assert.deepEqual(procNetInodes(procNetTcp, 4223, "tcp"), []);
  });

  it("takes every bound socket of the port from /proc/net/udp (datagram sockets do not listen)", () => {
    const udp = [
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
      " 1021: 0100007F:1CEA 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 777 2 0000 0",
    ].join("\n");
    assert.deepEqual(procNetInodes(udp, 7402, "udp"), ["777"]);
  });

  it("reads the process names and pids of `ss -ltnupH` for the port", () => {
    const ss = [
      'tcp   LISTEN 0      4096       127.0.0.1:4222       0.0.0.0:*    users:(("nats-server",pid=1234,fd=7))',
      'tcp   LISTEN 0      50    [::ffff:127.0.0.1]:9092       *:*    users:(("java",pid=99,fd=120),("java",pid=99,fd=121))',
      'udp   UNCONN 0      0          127.0.0.1:7402       0.0.0.0:*    users:(("node",pid=55,fd=30))',
    ].join("\n");
    assert.deepEqual(parseSsOutput(ss, 4222), [{ pid: 1234, name: "nats-server" }]);
    assert.deepEqual(parseSsOutput(ss, 9092), [{ pid: 99, name: "java" }]);
    assert.deepEqual(parseSsOutput(ss, 7402), [{ pid: 55, name: "node" }]);
    assert.deepEqual(parseSsOutput(ss, 4223), []);
  });

  it("reads the pids of `netstat -ano` (Windows) for a listening TCP port or a UDP port", () => {
    const netstat = [
      "",
      "Active Connections",
      "",
      "  Proto  Local Address          Foreign Address        State           PID",
      "  TCP    0.0.0.0:4222           0.0.0.0:0              LISTENING       4120",
      "  TCP    127.0.0.1:4222         127.0.0.1:50123        ESTABLISHED     4120",
      "  TCP    127.0.0.1:50123        127.0.0.1:4222         ESTABLISHED     777",
      "  TCP    [::]:4222              [::]:0                 LISTENING       4120",
      "  UDP    127.0.0.1:7402         *:*                                    888",
    ].join("\r\n");
    assert.deepEqual(parseNetstatOutput(netstat, 4222), [4120]);
    assert.deepEqual(parseNetstatOutput(netstat, 7402), [888]);
    assert.deepEqual(parseNetstatOutput(netstat, 50123), []);
    assert.equal(
      parseTasklistName('"nats-server.exe","4120","Services","0","12,345 K"\r\n'),
      "nats-server.exe",
    );
    assert.equal(
      parseTasklistName("INFO: No tasks are running which match the specified criteria."),
      undefined,
    );
  });

  it("names this process as the holder of a TCP port it listens on and of a UDP port it bound", async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const udp = createSocket("udp4");
    await new Promise<void>((done) => udp.bind(0, "127.0.0.1", done));
    try {
      const tcpPort = (server.address() as { port: number }).port;
      const udpPort = udp.address().port;
      for (const port of [tcpPort, udpPort]) {
        const owners = await findPortOwners(port);
        assert.ok(
          owners.some((o) => o.pid === process.pid),
          `port ${port}: ${JSON.stringify(owners)} names pid ${process.pid}`,
        );
      }
      assert.match(
        (await describePortOwner(tcpPort)) ?? "",
        new RegExp(`^held by node \\(pid ${process.pid}\\)`),
      );
    } finally {
      server.close();
      udp.close();
    }
  });

  it("answers unknown for a port nobody holds", async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((done) => server.close(() => done()));
    assert.equal(await describePortOwner(port), undefined);
  });
});
