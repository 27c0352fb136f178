import { Histogram } from '../stats/histogram.js';

/** Bins kept for the plot of lateness over time: pairs merge when a run outgrows them, so memory stays bounded. */
export const MAX_TIME_BINS = 512;
const FIRST_BIN_NS = 100e6;

/** One row's lateness over time: the mean and the max per bin, bins of `binNs` from the run's start. */
export interface Timeline { binNs: number; mean: number[]; max: number[] }

/**
 * The lateness samples of one row of `rtimer latency` (a timer or the floor thread): cyclictest's
 * figures (cycles, min, act, avg, max), percentiles, its `-h N` histogram of N 1-µs buckets with the
 * overflows and the cycle numbers where they happened (as many as there are buckets, like cyclictest),
 * and a bounded timeline for the plot. Memory: O(N + MAX_TIME_BINS) whatever the run's length.
 */
export class LatencySeries {
  readonly hist = new Histogram();
  /** cyclictest's `-h N`: bucket i counts the samples of i µs (truncated); ≥ N µs is an overflow. Empty when N = 0. */
  readonly buckets: Float64Array;
  overflows = 0;
  readonly overflowCycles: number[] = [];
  count = 0;
  minNs = 0;
  maxNs = 0;
  actNs = 0;
  #sumNs = 0;
  #binNs = FIRST_BIN_NS;
  #binSum: number[] = [];
  #binCount: number[] = [];
  #binMax: number[] = [];

  constructor(histogramBuckets = 0) {
    this.buckets = new Float64Array(histogramBuckets);
  }

  get avgNs(): number { return this.count ? this.#sumNs / this.count : 0; }

  /** One sample: lateness in ns, and when its deadline was, ns after the run's start. */
  record(lateNs: number, atNs: number): void {
    const cycle = this.count++;
    if (cycle === 0 || lateNs < this.minNs) this.minNs = lateNs;
    if (cycle === 0 || lateNs > this.maxNs) this.maxNs = lateNs;
    this.actNs = lateNs;
    this.#sumNs += lateNs;
    this.hist.record(lateNs);
    const n = this.buckets.length;
    if (n > 0) {
      const us = Math.max(0, Math.trunc(lateNs / 1000));
      if (us < n) this.buckets[us]++;
      else {
        this.overflows++;
        if (this.overflowCycles.length < n) this.overflowCycles.push(cycle);
      }
    }
    this.#bin(lateNs, Math.max(0, atNs));
  }

  #bin(lateNs: number, atNs: number): void {
    let i = Math.floor(atNs / this.#binNs);
    while (i >= MAX_TIME_BINS) {
      // Twice as wide: pairs of bins merge, so a long run keeps the same number of points.
      for (let j = 0; j < MAX_TIME_BINS / 2; j++) {
        const a = 2 * j, b = 2 * j + 1;
        this.#binSum[j] = (this.#binSum[a] ?? 0) + (this.#binSum[b] ?? 0);
        this.#binCount[j] = (this.#binCount[a] ?? 0) + (this.#binCount[b] ?? 0);
        this.#binMax[j] = Math.max(this.#binMax[a] ?? -Infinity, this.#binMax[b] ?? -Infinity);
      }
      this.#binSum.length = this.#binCount.length = this.#binMax.length = MAX_TIME_BINS / 2;
      this.#binNs *= 2;
      i = Math.floor(atNs / this.#binNs);
    }
    this.#binSum[i] = (this.#binSum[i] ?? 0) + lateNs;
    this.#binCount[i] = (this.#binCount[i] ?? 0) + 1;
    this.#binMax[i] = Math.max(this.#binMax[i] ?? -Infinity, lateNs);
  }

  /** Bins with no sample are NaN (a gap in the plot). */
  timeline(): Timeline {
    const n = this.#binCount.length;
    const mean: number[] = [];
    const max: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = this.#binCount[i] ?? 0;
      mean.push(c ? this.#binSum[i] / c : NaN);
      max.push(c ? this.#binMax[i] : NaN);
    }
    return { binNs: this.#binNs, mean, max };
  }
}
