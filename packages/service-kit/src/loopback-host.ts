/**
 * True for loopback listen addresses (localhost, 127.0.0.0/8, ::1): a service listening only
 * there is reachable from its own machine alone, so it may serve without keys.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}
