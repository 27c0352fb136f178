import type { TimerConfig } from '../config/types.js';

/**
 * The start anchor of each inline timer of one RTimer: deadlines are `anchor + k × interval`, k >= 1.
 * Every timer shares `now`, so timers of one interval tick in phase, then each is moved by
 *  - `align: 'realtime'`: back to the last multiple of its interval on the wall clock (`realtimeOffset`
 *    is CLOCK_REALTIME − CLOCK_MONOTONIC, read once: the schedule is anchored once and then runs on
 *    the monotonic clock, so a later step of the wall clock does not move it);
 *  - its `phase`;
 *  - `stagger: true`: timer j of the m inline timers with stagger and the same interval, in the
 *    order given, by j × interval / m.
 * The result is reduced to at most one interval after `now`, so the first deadline stays within
 * two intervals of start whatever the phase.
 */
export function inlineAnchors(timers: readonly TimerConfig[], now: bigint, realtimeOffset: () => bigint): bigint[] {
  const groups = new Map<number, number>();
  for (const t of timers) if (t.stagger) groups.set(t.intervalUs, (groups.get(t.intervalUs) ?? 0) + 1);
  const seen = new Map<number, number>();
  let offset: bigint | undefined;
  return timers.map((t) => {
    const interval = BigInt(t.intervalUs) * 1000n;
    let anchor = now;
    if (t.align === 'realtime') {
      offset ??= realtimeOffset();
      const wall = now + offset;
      anchor -= ((wall % interval) + interval) % interval;
    }
    let shift = BigInt(t.phaseUs ?? 0) * 1000n;
    if (t.stagger) {
      const j = seen.get(t.intervalUs) ?? 0;
      seen.set(t.intervalUs, j + 1);
      shift += (interval * BigInt(j)) / BigInt(groups.get(t.intervalUs)!);
    }
    return anchor + (shift % interval);
  });
}

/** The first deadline after `now` of a grid anchored at `anchor`, ns; null when not armed. */
export function nextGrid(anchor: bigint | null, intervalUs: number, now: bigint): bigint | null {
  if (anchor === null) return null;
  const interval = BigInt(intervalUs) * 1000n;
  return anchor + (now < anchor ? 1n : (now - anchor) / interval + 1n) * interval;
}
