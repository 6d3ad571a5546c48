/** Dot positions of an ack subject, reused: at most 12 tokens are looked at. */
const dots = new Int32Array(12);

/**
 * The delivery count and stream sequence from a JetStream ack subject, read in place — the
 * client's `info` splits the subject and parses every token for each message, and these two
 * are all the bridge needs. Undefined for any other shape (the caller then uses `info`).
 * Old form: `$JS.ACK.<stream>.<consumer>.<deliveries>.<sseq>.<dseq>.<ts>.<pending>`; new
 * form: `$JS.ACK.<domain>.<account>.<stream>.<consumer>.<deliveries>.<sseq>.<dseq>.<ts>.<pending>[.<token>]`.
 */
export function deliveryFromAckSubject(
  reply: string | undefined,
): { deliveryCount: number; streamSequence: number } | undefined {
  if (reply === undefined || !reply.startsWith("$JS.ACK.")) return undefined;
  let n = 0;
  for (let i = reply.indexOf("."); i >= 0 && n < dots.length; i = reply.indexOf(".", i + 1)) dots[n++] = i;
  // Tokens = dots + 1 (when fewer than 12 dots were seen).
  const first = n === 8 ? 3 : n >= 10 ? 5 : -1;
  if (first < 0) return undefined;
  const deliveryCount = Number(reply.slice((dots[first] as number) + 1, dots[first + 1]));
  const streamSequence = Number(reply.slice((dots[first + 1] as number) + 1, dots[first + 2]));
  if (!Number.isSafeInteger(deliveryCount) || !Number.isSafeInteger(streamSequence)) return undefined;
  return { deliveryCount, streamSequence };
}
