/**
 * The first sequence number of each device in a simulator run, from `--start-sequence`: a
 * positive integer, or `clock`: the wall clock counted at each device's rate (ms since the
 * epoch × rate per device ÷ 1000). Event ids are made from source, device and sequence, so a
 * simulator restarted at 1 would send the ids of events already in the lake again, and they
 * would be taken for retransmits; with `clock` a restarted simulator (a restarted stack)
 * continues past every sequence it sent before, as a real device keeps its counter across
 * reboots. Sending never runs ahead of the clock (the rate is a ceiling), so a restart
 * leaves at most a gap, never a repeat.
 */
export function startSequenceOf(
  value: string,
  ratePerSec: number,
  devices: number,
  nowMs = Date.now(),
): number {
  if (value === "clock") {
    if (!(ratePerSec > 0) || !(devices > 0)) {
      throw new Error("--start-sequence clock needs a --rate and --devices above 0");
    }
    return Math.floor((nowMs * ratePerSec) / devices / 1000) + 1;
  }
  const sequence = Number(value);
  if (!Number.isSafeInteger(sequence) || sequence < 1) {
    throw new Error(`--start-sequence must be a positive integer or "clock", not ${JSON.stringify(value)}`);
  }
  return sequence;
}
