import type { TimerConfig } from '../config/types.js';
import { taskRange, type SliceFields } from '../schedule/slices.js';

/**
 * A cluster timer's schedule: deadlines on multiples of the interval on the wall clock, so every
 * node shares one grid and one numbering. Tick n is due at wall time n × interval (from the epoch);
 * the grid is read once against the monotonic clock and then runs on it (as `align: 'realtime'`).
 */
export class Grid {
  /**
   * `anchor`: monotonic ns of the grid point numbered `base`. A mode=N worker only numbers ticks: its
   * parent arms it on the anchor.
   */
  constructor(readonly anchor: bigint, readonly base: number, readonly intervalNs: bigint) {}

  /** The grid of an interval read against the clocks now: the grid point at or before `now`. */
  static at(intervalUs: number, now: bigint, realtimeOffset: bigint): Grid {
    const intervalNs = BigInt(intervalUs) * 1000n;
    const wall = now + realtimeOffset;
    const rem = ((wall % intervalNs) + intervalNs) % intervalNs;
    return new Grid(now - rem, Number((wall - rem) / intervalNs), intervalNs);
  }

  /** A grid that only numbers ticks and places cycles on the wall clock. */
  static numbered(base: number, intervalNs: bigint): Grid { return new Grid(0n, base, intervalNs); }

  /** Monotonic ns of tick n's deadline. */
  deadline(n: number): bigint { return this.anchor + BigInt(n - this.base) * this.intervalNs; }

  /** The first tick whose deadline is after `t` (monotonic ns). */
  after(t: bigint): number {
    return t < this.anchor ? this.base : this.base + Number((t - this.anchor) / this.intervalNs) + 1;
  }

  /** Wall-clock ms of tick n's deadline. */
  wallMs(n: number): number { return Number((BigInt(n) * this.intervalNs) / 1_000_000n); }
}

/** The slice of global tick n: `n mod nslices`, the same on every node. */
export function clusterFields(t: Pick<TimerConfig, 'ntasks' | 'nslices'>, n: number): SliceFields {
  const slice = n % t.nslices;
  const range = taskRange(slice, t.ntasks, t.nslices);
  return { slice, nslices: t.nslices, ntasks: t.ntasks, tasks: range[1] - range[0], taskRange: range };
}
