import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { networkInterfaces } from "node:os";
import { describe, it } from "node:test";
import { listenUdp } from "../src/udp-listener.ts";

const hasIpv6Loopback = Object.values(networkInterfaces()).some((list) =>
  list?.some((a) => a.family === "IPv6" && a.internal),
);

async function roundTrip(host: string, type: "udp4" | "udp6"): Promise<Uint8Array> {
  let resolve: (d: Uint8Array) => void = () => {};
  const received = new Promise<Uint8Array>((r) => {
    resolve = r;
  });
  const listener = await listenUdp(
    { host, port: 0, receiveBufferBytes: 1024 * 1024 },
    (d) => resolve(d),
    assert.fail,
  );
  const socket = createSocket(type);
  try {
    socket.send(Uint8Array.of(1, 2, 3), listener.port, host);
    return await received;
  } finally {
    socket.close();
    await listener.close();
  }
}

describe("UDP listener", () => {
  it("receives on IPv4 with the requested receive buffer", async () => {
    assert.deepEqual([...(await roundTrip("127.0.0.1", "udp4"))], [1, 2, 3]);
    const listener = await listenUdp(
      { host: "127.0.0.1", port: 0, receiveBufferBytes: 1024 * 1024 },
      () => {},
      assert.fail,
    );
    // Linux reports twice the requested size (bookkeeping overhead), capped by net.core.rmem_max.
    assert.ok(listener.receiveBufferBytes >= 200_000, String(listener.receiveBufferBytes));
    await listener.close();
  });

  it("receives on IPv6", { skip: hasIpv6Loopback ? false : "no IPv6 loopback on this host" }, async () => {
    assert.deepEqual([...(await roundTrip("::1", "udp6"))], [1, 2, 3]);
  });

  it("lets an IPv4 and an IPv6 listener share a port", {
    skip: hasIpv6Loopback ? false : "no IPv6 loopback",
  }, async () => {
    const v4 = await listenUdp(
      { host: "127.0.0.1", port: 0, receiveBufferBytes: 65_536 },
      () => {},
      assert.fail,
    );
    const v6 = await listenUdp(
      { host: "::1", port: v4.port, receiveBufferBytes: 65_536 },
      () => {},
      assert.fail,
    );
    assert.equal(v6.port, v4.port);
    await Promise.all([v4.close(), v6.close()]);
  });
});
