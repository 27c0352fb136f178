/**
 * Deadlines `base + k*interval` (k ≥ 1) that passed by `until` for a timer armed at `armedAt`: the
 * native timer starts at k=1, or at the first deadline after `armedAt` when the anchor is in the past.
 * This is how many ticks a worker had when it died, reported or not.
 */
export function deadlinesPassed(base: bigint, intervalNs: bigint, armedAt: bigint, until: bigint): number {
  const first = armedAt < base + intervalNs ? 1n : (armedAt - base) / intervalNs + 1n;
  const last = until < base ? 0n : (until - base) / intervalNs;
  return last >= first ? Number(last - first + 1n) : 0;
}
