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
  // Integer bit scans, no Math.log2/pow: record() runs once per route call.
  if (v < 2 ** 32) {
    const e = 31 - Math.clz32(v);
    return SUB + (e - SUB_BITS) * SUB + ((v >>> (e - SUB_BITS)) - SUB);
  }
  const e = 63 - Math.clz32(Math.floor(v / 2 ** 32));
  return SUB + (e - SUB_BITS) * SUB + (Math.floor(v / 2 ** (e - SUB_BITS)) - SUB);
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

// Summary slots at the front of one array, the bucket counts after them: a record touches the
// summary's cache line and one bucket's, on one page, and allocates nothing.
const COUNT = 0, EXCEEDS = 1, MIN = 2, MAX = 3, SUM = 4, SUM_SQ = 5, HEAD = 6;

export class Histogram {
  readonly #data = new Float64Array(HEAD + BUCKETS);
  readonly counts: Float64Array = this.#data.subarray(HEAD);

  constructor(counts?: Float64Array, summary?: { count: number; min: number; max: number; sum: number; sumSq: number; exceeds: number }) {
    const d = this.#data;
    d[MIN] = Infinity;
    if (counts) this.counts.set(counts.subarray(0, BUCKETS));
    if (summary) {
      d[COUNT] = summary.count;
      d[MIN] = summary.count ? summary.min : Infinity;
      d[MAX] = summary.max;
      d[SUM] = summary.sum;
      d[SUM_SQ] = summary.sumSq;
      d[EXCEEDS] = summary.exceeds;
    }
  }

  get count(): number { return this.#data[COUNT]; }
  get exceeds(): number { return this.#data[EXCEEDS]; }

  /** Reads a native snapshot: count, min, max, sum, sumSq, exceeds, then the bucket counts. */
  static fromSnapshot(s: Float64Array): Histogram {
    return new Histogram(s.subarray(6, 6 + BUCKETS), { count: s[0], min: s[1], max: s[2], sum: s[3], sumSq: s[4], exceeds: s[5] });
  }

  /** The native snapshot layout, for sending a histogram between processes. */
  toSnapshot(): Float64Array {
    const out = new Float64Array(6 + BUCKETS);
    const d = this.#data;
    out.set([d[COUNT], this.min, d[MAX], d[SUM], d[SUM_SQ], d[EXCEEDS]]);
    out.set(this.counts, 6);
    return out;
  }

  /** Records one value in ns; negatives count as 0. */
  record(ns: number): void {
    const d = this.#data;
    const v = ns > 0 ? Math.round(ns) : 0;
    if (v > MAX_TRACKABLE) { d[EXCEEDS]++; return; }
    d[HEAD + bucketOf(v)]++;
    d[COUNT]++;
    if (v < d[MIN]) d[MIN] = v;
    if (v > d[MAX]) d[MAX] = v;
    d[SUM] += v;
    d[SUM_SQ] += v * v;
  }

  get min(): number { return this.count ? this.#data[MIN] : 0; }
  get max(): number { return this.#data[MAX]; }
  get mean(): number { return this.count ? this.#data[SUM] / this.count : 0; }
  get stddev(): number {
    if (this.count < 2) return 0;
    const m = this.mean;
    return Math.sqrt(Math.max(0, this.#data[SUM_SQ] / this.count - m * m));
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
    const d = this.#data;
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    if (other.count) {
      d[MIN] = Math.min(d[MIN], other.min);
      d[MAX] = Math.max(d[MAX], other.max);
    }
    d[COUNT] += other.count;
    d[EXCEEDS] += other.exceeds;
    d[SUM] += other.mean * other.count;
    d[SUM_SQ] += (other.stddev ** 2 + other.mean ** 2) * other.count;
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

// While a batch of due ticks runs (see lib/native/dispatch-loop.ts), durations are recorded after its last
// route: a thousand timers' histograms do not stay in the cache, and each record before a route
// would make every later route of the batch start later.
let deferring = false;
const pendingHists: Histogram[] = [];
const pendingValues: number[] = [];

/** Records `ns` in `h` now, or once the batch of ticks running now is over. */
export function recordSoon(h: Histogram, ns: number): void {
  if (!deferring) { h.record(ns); return; }
  pendingHists.push(h);
  pendingValues.push(ns);
}

/** Runs `batch` with recordSoon() deferred, then records what it deferred. */
export function deferRecords(batch: () => void): void {
  if (deferring) { batch(); return; }
  deferring = true;
  try {
    batch();
  } finally {
    deferring = false;
    for (let i = 0; i < pendingHists.length; i++) pendingHists[i].record(pendingValues[i]);
    pendingHists.length = 0;
    pendingValues.length = 0;
  }
}
