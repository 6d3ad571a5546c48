import { createSocket } from "node:dgram";
import { createServer } from "node:net";

/**
 * Ports are drawn at random below Linux's ephemeral range (32768+), so a port we pick is not
 * handed out meanwhile as the local end of some outgoing connection, and concurrent test
 * processes rarely draw the same one (a launcher retries on "address in use" anyway).
 */
const lowestPort = 15_000;
const highestPort = 32_000;
const issued = new Set<number>();

/** Returns a port that is free on 127.0.0.1 right now and not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = lowestPort + Math.floor(Math.random() * (highestPort - lowestPort));
    if (issued.has(port)) continue;
    if (await canListen(port)) {
      issued.add(port);
      return port;
    }
  }
  throw new Error("found no free port on 127.0.0.1");
}

/** Returns `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  return ports;
}

/** Whether a listener can bind 127.0.0.1:`port` at this moment. */
export function canListen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** Whether a UDP socket can bind 127.0.0.1:`port` at this moment (for datagram listeners). */
export function canBindUdp(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.unref();
    socket.once("error", () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ port, address: host, exclusive: true }, () => {
      socket.close(() => resolve(true));
    });
  });
}
