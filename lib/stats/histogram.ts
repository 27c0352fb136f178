import { inspect, type InspectOptions } from 'node:util';

/**
 * Log-linear histogram of nanosecond values with ~3% resolution, the same layout as the native
 * one (native/histogram.h) so native snapshots and JS recordings read alike. Shaped like
 * perf_hooks' IntervalHistogram: min, max, mean, stddev, percentile(p), percentiles, count, exceeds.
 */
export const SUB_BITS = 5;
const SUB = 1 << SUB_BITS;
const MAX_EXP = 47; // 2^48 ns is ~78 hours; larger values count in `exceeds`
export const BUCKETS = SUB + (MAX_EXP - SUB_BITS + 1) * SUB;
const MAX_TRACKABLE = 2 ** (MAX_EXP + 1) - 1;

export function bucketOf(v: number): number {
  if (v < SUB) return v;
  let e = Math.floor(Math.log2(v));
  if (2 ** e > v) e--; else if (2 ** (e + 1) <= v) e++;
  const sub = Math.floor(v / 2 ** (e - SUB_BITS)) - SUB;
  return SUB + (e - SUB_BITS) * SUB + sub;
}

export function bucketRange(i: number): [number, number] {
  if (i < SUB) return [i, i];
  const e = Math.floor((i - SUB) / SUB) + SUB_BITS;
  const sub = (i - SUB) % SUB;
  const width = 2 ** (e - SUB_BITS);
  const lo = (SUB + sub) * width;
  return [lo, lo + width - 1];
}

/** What JSON.stringify writes for a histogram: a summary in ns (the bucket counts are left out). */
export interface HistogramJSON {
  count: number; min: number; max: number; mean: number; stddev: number; exceeds: number;
  p50: number; p90: number; p99: number; p999: number;
}

const us = (ns: number) => Math.round(ns) / 1000;

export class Histogram {
  readonly counts: Float64Array;
  count = 0;
  exceeds = 0;
  #min = Infinity;
  #max = 0;
  #sum = 0;
  #sumSq = 0;

  constructor(counts?: Float64Array, summary?: { count: number; min: number; max: number; sum: number; sumSq: number; exceeds: number }) {
    this.counts = counts ?? new Float64Array(BUCKETS);
    if (summary) {
      this.count = summary.count;
      this.#min = summary.count ? summary.min : Infinity;
      this.#max = summary.max;
      this.#sum = summary.sum;
      this.#sumSq = summary.sumSq;
      this.exceeds = summary.exceeds;
    }
  }

  /** Reads a native snapshot: count, min, max, sum, sumSq, exceeds, then the bucket counts. */
  static fromSnapshot(s: Float64Array): Histogram {
    return new Histogram(s.slice(6, 6 + BUCKETS), { count: s[0], min: s[1], max: s[2], sum: s[3], sumSq: s[4], exceeds: s[5] });
  }

  /** The native snapshot layout, for sending a histogram between processes. */
  toSnapshot(): Float64Array {
    const out = new Float64Array(6 + BUCKETS);
    out.set([this.count, this.min, this.max, this.#sum, this.#sumSq, this.exceeds]);
    out.set(this.counts, 6);
    return out;
  }

  /** Records one value in ns; negatives count as 0. */
  record(ns: number): void {
    const v = ns > 0 ? Math.round(ns) : 0;
    if (v > MAX_TRACKABLE) { this.exceeds++; return; }
    this.counts[bucketOf(v)]++;
    this.count++;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
    this.#sum += v;
    this.#sumSq += v * v;
  }

  get min(): number { return this.count ? this.#min : 0; }
  get max(): number { return this.#max; }
  get mean(): number { return this.count ? this.#sum / this.count : 0; }
  get stddev(): number {
    if (this.count < 2) return 0;
    const m = this.mean;
    return Math.sqrt(Math.max(0, this.#sumSq / this.count - m * m));
  }

  /** Value at percentile p (0 < p <= 100): the middle of its bucket, kept within [min, max]. */
  percentile(p: number): number {
    if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
    if (this.count === 0) return 0;
    const target = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= target) {
        const [lo, hi] = bucketRange(i);
        return Math.min(this.max, Math.max(this.min, Math.round((lo + hi) / 2)));
      }
    }
    return this.max;
  }

  get percentiles(): Map<number, number> {
    return new Map([50, 75, 90, 99, 99.9, 100].map((p) => [p, this.percentile(p)]));
  }

  /** Adds another histogram's counts (for summing workers). */
  add(other: Histogram): this {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    if (other.count) {
      this.#min = Math.min(this.#min, other.min);
      this.#max = Math.max(this.#max, other.max);
    }
    this.count += other.count;
    this.exceeds += other.exceeds;
    this.#sum += other.mean * other.count;
    this.#sumSq += (other.stddev ** 2 + other.mean ** 2) * other.count;
    return this;
  }

  /** console.log() and util.inspect show a summary in µs rather than 1,500 bucket counts. */
  [inspect.custom](depth: number, options: InspectOptions, inspectFn: typeof inspect = inspect): string {
    if (depth < 0) return '[Histogram]';
    const summary: Record<string, number> = {
      count: this.count, min: us(this.min), p50: us(this.percentile(50)), p90: us(this.percentile(90)),
      p99: us(this.percentile(99)), 'p99.9': us(this.percentile(99.9)), max: us(this.max),
    };
    if (this.exceeds) summary.exceeds = this.exceeds;
    return `Histogram(µs) ${inspectFn(summary, { ...options, depth: 0, breakLength: Infinity })}`;
  }

  /** A stable summary in ns: count, min, max, mean, stddev, exceeds, p50, p90, p99, p999 (99.9th). */
  toJSON(): HistogramJSON {
    return {
      count: this.count, min: this.min, max: this.max, mean: this.mean, stddev: this.stddev, exceeds: this.exceeds,
      p50: this.percentile(50), p90: this.percentile(90), p99: this.percentile(99), p999: this.percentile(99.9),
    };
  }
}
