import { BUCKETS, bucketRange, type Histogram } from '../stats/histogram.js';

/** Most 1 µs buckets `--histogram` takes: cyclictest's own bound on `-h`. */
export const MAX_HISTOGRAM_BUCKETS = 1_000_000;

export interface MicrosecondHistogram {
  /** counts[i]: values from i to i+1 µs (cyclictest's `-h N` bins). */
  counts: number[];
  /** Values of N µs and more. */
  overflows: number;
}

/**
 * A log-linear Histogram read into N bins of 1 µs. Each log-linear bucket goes whole to the bin of
 * its middle: exact below 32 µs (buckets narrower than 1 µs), within one bucket (1/32 of the value)
 * above.
 */
export function microsecondBins(h: Histogram, n: number): MicrosecondHistogram {
  const counts = new Array<number>(n).fill(0);
  let overflows = h.exceeds;
  for (let i = 0; i < BUCKETS; i++) {
    const c = h.counts[i];
    if (!c) continue;
    const [lo, hi] = bucketRange(i);
    const bin = Math.floor((lo + hi) / 2 / 1000);
    if (bin < n) counts[bin] += c; else overflows += c;
  }
  return { counts, overflows };
}

interface Row { name: string; lateness: Histogram }

const pad = (v: number, width: number) => String(Math.round(v)).padStart(width, '0');

/**
 * cyclictest's `-h N` dump of route-entry lateness, one column per timer: `000012 000003 000000`
 * lines for the bins that hold a value, then `# Total:`, `# Min Latencies:`, `# Avg Latencies:`,
 * `# Max Latencies:` (µs) and `# Histogram Overflows:`.
 */
export function formatHistogram(rows: readonly Row[], n: number): string {
  const bins = rows.map((r) => microsecondBins(r.lateness, n));
  const out = [`# Histogram (route-entry lateness, 1 µs bins; columns: ${rows.map((r) => r.name).join(' ')})`];
  for (let i = 0; i < n; i++) {
    if (bins.every((b) => b.counts[i] === 0)) continue;
    out.push(`${pad(i, 6)} ${bins.map((b) => pad(b.counts[i], 6)).join(' ')}`);
  }
  const per = (label: string, f: (r: Row, b: MicrosecondHistogram) => string) => `# ${label}: ${rows.map((r, i) => f(r, bins[i])).join(' ')}`;
  const us = (ns: number, count: number) => pad(count ? Math.floor(ns / 1000) : 0, 5);
  out.push(per('Total', (r) => pad(r.lateness.count, 9)));
  out.push(per('Min Latencies', (r) => us(r.lateness.min, r.lateness.count)));
  out.push(per('Avg Latencies', (r) => us(r.lateness.mean, r.lateness.count)));
  out.push(per('Max Latencies', (r) => us(r.lateness.max, r.lateness.count)));
  out.push(per('Histogram Overflows', (_r, b) => pad(b.overflows, 5)));
  return out.join('\n') + '\n';
}
