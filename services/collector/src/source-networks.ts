/**
 * UDP carries no credentials, so its boundary is the network: `udp.allowedSources` lists the
 * networks (CIDR, or single addresses) devices may send from. Datagrams from anywhere else are
 * dropped before decoding and counted (`decode_errors_total{reason="source_not_allowed"}`).
 */
import { BlockList, isIP } from "node:net";
import { ConfigError, type ConfigIssue } from "@langtian/service-kit";
import type { DatagramHandler } from "./datagram-handler.ts";
import type { InputSource } from "./rejection-log.ts";

/** The networks datagrams may come from. */
export interface SourceNetworks {
  /** True when no list is configured: every sender is accepted. */
  readonly any: boolean;
  /** Whether a datagram from `address` is accepted (IPv4-mapped IPv6 counts as IPv4). */
  allows(address: string): boolean;
}

/** Most distinct sender addresses whose verdict is remembered (the cache is cleared when full). */
const VERDICT_CACHE_SIZE = 4_096;

/**
 * Parses `udp.allowedSources` (`10.0.0.0/8`, `192.168.1.20`, `fd00::/8`, ...) or throws a
 * ConfigError listing every entry that is not a network.
 */
export function parseSourceNetworks(entries: readonly string[]): SourceNetworks {
  const list = new BlockList();
  const issues: ConfigIssue[] = [];
  for (const [i, entry] of entries.entries()) {
    const [address = "", prefixText, ...rest] = entry.trim().split("/");
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (family === 0 || rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      issues.push({
        path: `udp.allowedSources[${i}]`,
        source: "config",
        expected: "a network as ADDRESS/PREFIX (e.g. 10.20.0.0/16, fd00::/8) or a single address",
        got: JSON.stringify(entry),
      });
      continue;
    }
    list.addSubnet(address, prefix, family === 4 ? "ipv4" : "ipv6");
  }
  if (issues.length > 0) throw new ConfigError("collector", issues);
  if (entries.length === 0) return { any: true, allows: () => true };
  const verdicts = new Map<string, boolean>();
  return {
    any: false,
    allows(address) {
      let verdict = verdicts.get(address);
      if (verdict === undefined) {
        const family = isIP(address);
        verdict = family !== 0 && list.check(address, family === 4 ? "ipv4" : "ipv6");
        if (verdicts.size >= VERDICT_CACHE_SIZE) verdicts.clear();
        verdicts.set(address, verdict);
      }
      return verdict;
    },
  };
}

/**
 * Wraps a datagram handler so that datagrams from senders outside `networks` go to `onDenied`
 * instead (also those whose sender is unknown).
 */
export function onlyFromNetworks(
  networks: SourceNetworks,
  handler: DatagramHandler,
  onDenied: (datagram: Uint8Array, source: InputSource | undefined) => void,
): DatagramHandler {
  if (networks.any) return handler;
  return (datagram, receivedAtMs, source) => {
    if (source !== undefined && networks.allows(source.address)) handler(datagram, receivedAtMs, source);
    else onDenied(datagram, source);
  };
}
