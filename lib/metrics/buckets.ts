import { BUCKETS, bucketOf, bucketRange, type Histogram } from '../stats/histogram.js';

/** Histogram bucket bounds in seconds: 1, 2, 5 per decade from 1 µs to 1 s. */
export const LE_SECONDS: readonly number[] = Object.freeze([
  1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1,
]);

/**
 * For each bound B, the last bucket of the log-linear histogram (lib/stats/histogram.ts) that ends at
 * or below B ns: `le=B` counts exactly the values up to B', the top of that bucket. Buckets are at
 * most 1/32 of their start wide; at these bounds B' >= 0.983·B, so values in (B', B], within 1.7%
 * below a bound, count under the next one.
 */
function lastBucketAtOrBelow(boundNs: number): number {
  const i = bucketOf(boundNs);
  return bucketRange(i)[1] === boundNs ? i : i - 1;
}

const LAST_BUCKET = LE_SECONDS.map((s) => lastBucketAtOrBelow(Math.round(s * 1e9)));

/** The value (ns) up to which bound `i` counts exactly; for documentation and tests. */
export function exactUpToNs(i: number): number { return bucketRange(LAST_BUCKET[i])[1]; }

export interface PromHistogram {
  /** Cumulative counts at LE_SECONDS, then +Inf. */
  cumulative: number[];
  count: number;
  sumSeconds: number;
}

/** Reads a Histogram as a Prometheus histogram: cumulative counts at LE_SECONDS, count and sum. */
export function toPromHistogram(h: Histogram): PromHistogram {
  const cumulative: number[] = [];
  let seen = 0;
  let bucket = 0;
  for (const last of LAST_BUCKET) {
    for (; bucket <= last; bucket++) seen += h.counts[bucket];
    cumulative.push(seen);
  }
  for (; bucket < BUCKETS; bucket++) seen += h.counts[bucket];
  // +Inf from the buckets themselves (plus values past the histogram's range), so it can never be
  // below the last bound even if a snapshot's count and buckets were read a moment apart.
  const count = seen + h.exceeds;
  cumulative.push(count);
  return { cumulative, count, sumSeconds: (h.mean * h.count) / 1e9 };
}
