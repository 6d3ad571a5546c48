import { formatCount } from "./format.ts";

/**
 * A count with its noun, singular for exactly one: "1 row", "0 rows", "12,345 files".
 * `many` is the plural when it is not `word` + "s".
 */
export function plural(n: bigint | number, word: string, many = `${word}s`): string {
  return `${formatCount(n)} ${n === 1 || n === 1n ? word : many}`;
}
