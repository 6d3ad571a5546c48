import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { DatagramHandler } from "./datagram-handler.ts";

/** Where one UDP listener binds. */
export interface UdpBinding {
  readonly host: string;
  readonly port: number;
  /** Requested kernel receive buffer (SO_RCVBUF); the kernel may cap it (net.core.rmem_max). */
  readonly receiveBufferBytes: number;
}

/** A bound UDP socket feeding a datagram handler. */
export interface UdpListener {
  /** The bound port (useful when 0 was configured). */
  readonly port: number;
  /** The receive buffer the kernel actually granted. */
  readonly receiveBufferBytes: number;
  /** Stops reading; datagrams still in the kernel buffer are dropped by the kernel. */
  close(): Promise<void>;
}

/**
 * Binds a UDP socket (IPv4, or IPv6 when the host is an IPv6 address) and calls `onDatagram`
 * for each datagram with its receive time and sender.
 */
export async function listenUdp(
  binding: UdpBinding,
  onDatagram: DatagramHandler,
  onError: (err: Error) => void,
): Promise<UdpListener> {
  const v6 = isIPv6(binding.host);
  const socket: Socket = createSocket({
    type: v6 ? "udp6" : "udp4",
    // An IPv6 listener takes IPv6 only, so a separate IPv4 listener can share the port.
    ipv6Only: v6,
    recvBufferSize: binding.receiveBufferBytes,
  });
  // Node's RemoteInfo is the source as is: nothing is built per datagram.
  socket.on("message", (msg, rinfo) => onDatagram(msg, Date.now(), rinfo));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(binding.port, binding.host, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  socket.on("error", onError);
  let closed = false;
  return {
    port: socket.address().port,
    receiveBufferBytes: socket.getRecvBufferSize(),
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
}
