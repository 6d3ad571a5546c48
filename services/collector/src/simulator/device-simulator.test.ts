import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { describe, it } from "node:test";
import { runSimulator } from "./device-simulator.ts";

/** A UDP port on 127.0.0.1 nobody listens on (bound, read, released). */
async function closedUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe("runSimulator", () => {
  it("keeps sending while nobody listens (a collector restarting), as a device would", async () => {
    // Each datagram to a closed port brings back an ICMP "port unreachable", which a connected
    // socket reports as an ECONNREFUSED error event: it must not end the run or the process.
    const port = await closedUdpPort();
    const report = await runSimulator({
      host: "127.0.0.1",
      port,
      format: "device-frame",
      count: 300,
      ratePerSec: 3_000,
    });
    assert.equal(report.sent, 300);
  });
});
