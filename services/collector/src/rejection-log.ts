import { createRateLimitedLog, type RateLimitedLogTarget } from "@langtian/service-kit";

/** Where a datagram came from (Node's `RemoteInfo` has this shape). */
export interface InputSource {
  readonly address: string;
  readonly port: number;
}

/** One rejected input, as the log line describes it. */
export interface Rejection {
  /** How it arrived: `udp` (a datagram) or `push` (an event of a Connect/HTTP push). */
  readonly path: "udp" | "push";
  /** The UDP listener's name, or the push route. */
  readonly listener: string;
  /** The counter's reason label (`bad_crc`, `malformed_json`, `invalid_envelope`, ...). */
  readonly reason: string;
  /** What exactly was wrong, for a human. */
  readonly detail: string;
  /** The rejected bytes; the line carries a short sample of them. */
  readonly input: Uint8Array;
  /** Sender address: a datagram's source, or a push client's `address:port`. */
  readonly source?: InputSource | string | undefined;
}

/** Logs rejections, rate-limited per path and reason. */
export interface RejectionLog {
  (rejection: Rejection): void;
  /** Writes pending "suppressed K" lines (on shutdown). */
  close(): void;
}

/** Limits of {@link createRejectionLog}. */
export interface RejectionLogOptions {
  /** Lines per path and reason within one interval (default 5). */
  readonly maxLinesPerInterval?: number;
  /** Interval in ms (default 10 000). */
  readonly intervalMs?: number;
  /** Most input bytes shown in a line (default 64). */
  readonly sampleBytes?: number;
}

/**
 * Creates the rejection log of one collector: a warn line per rejected input with its reason,
 * detail, source address and a sample of its bytes, at most `maxLinesPerInterval` per path
 * and reason every `intervalMs`, then one "suppressed K" line. The counters
 * (`decode_errors_total`, ...) stay exact; these lines give an operator examples to look at.
 * Both ingest paths use it: UDP (datagram-handler.ts) and push.
 */
export function createRejectionLog(
  target: RateLimitedLogTarget,
  options: RejectionLogOptions = {},
): RejectionLog {
  const limited = createRateLimitedLog(target, {
    maxLinesPerInterval: options.maxLinesPerInterval ?? 5,
    intervalMs: options.intervalMs ?? 10_000,
  });
  const sampleBytes = options.sampleBytes ?? 64;
  const log = (rejection: Rejection): void => {
    limited.warn(
      `${rejection.path}:${rejection.reason}`,
      // Built only for lines actually written: a flood costs a map lookup per input, not a hex dump.
      () => ({
        path: rejection.path,
        listener: rejection.listener,
        reason: rejection.reason,
        detail: rejection.detail,
        source: formatSource(rejection.source),
        ...sampleOf(rejection.input, sampleBytes),
      }),
      "input rejected",
    );
  };
  return Object.assign(log, { close: () => limited.close() });
}

/** `address:port` (`[v6]:port`) of a source, or undefined. */
export function formatSource(source: InputSource | string | undefined): string | undefined {
  if (source === undefined || typeof source === "string") return source;
  return source.address.includes(":")
    ? `[${source.address}]:${source.port}`
    : `${source.address}:${source.port}`;
}

/**
 * A short, log-safe view of some bytes: escaped text when they are mostly printable ASCII
 * (JSON, text frames), hex otherwise (binary frames). Never more than `maxBytes` of input.
 */
export function sampleOf(
  input: Uint8Array,
  maxBytes: number,
): { bytes: number; sample: string; sampleEncoding: "text" | "hex"; truncated: boolean } {
  const head = input.subarray(0, maxBytes);
  let printable = 0;
  for (const b of head) if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d) printable++;
  const asText = head.length > 0 && printable / head.length >= 0.9;
  let sample = "";
  if (asText) {
    for (const b of head) {
      if (b >= 0x20 && b < 0x7f && b !== 0x5c) sample += String.fromCharCode(b);
      else if (b === 0x5c) sample += "\\\\";
      else if (b === 0x0a) sample += "\\n";
      else if (b === 0x0d) sample += "\\r";
      else if (b === 0x09) sample += "\\t";
      else sample += `\\x${b.toString(16).padStart(2, "0")}`;
    }
  } else {
    sample = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString("hex");
  }
  return {
    bytes: input.length,
    sample,
    sampleEncoding: asText ? "text" : "hex",
    truncated: input.length > maxBytes,
  };
}
