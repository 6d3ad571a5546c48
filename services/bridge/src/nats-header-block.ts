/**
 * Reads a NATS header block (`NATS/1.0[ status]\r\nName: value\r\n…\r\n\r\n`) into a map, the
 * way nats.js reads it: names exact, values trimmed, the first of repeated names wins. One pass
 * over one string: the client's own parser canonicalises and searches every name for each
 * header it adds and each it is asked for, which measured several times the cost of decoding
 * the whole envelope once a message carries the event's metadata headers.
 */
export function parseHeaderBlock(block: Uint8Array): Map<string, string> {
  const headers = new Map<string, string>();
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("utf8");
  // The first line is the version and status, never a header.
  let at = text.indexOf("\r\n");
  if (at < 0) return headers;
  at += 2;
  while (at < text.length) {
    const end = text.indexOf("\r\n", at);
    const lineEnd = end < 0 ? text.length : end;
    const colon = text.indexOf(":", at);
    if (colon > at && colon < lineEnd) {
      const name = text.slice(at, colon);
      if (!headers.has(name)) headers.set(name, text.slice(colon + 1, lineEnd).trim());
    }
    if (end < 0) break;
    at = end + 2;
  }
  return headers;
}
