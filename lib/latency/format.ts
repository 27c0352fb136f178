import type { LatencyRow } from './rows.js';
import { label } from './rows.js';
import type { LatencyJSON } from './report.js';
import { table } from '../ctl/format.js';

const pad = (v: number | string, w: number) => String(v).padStart(w);
const usInt = (ns: number) => Math.trunc(ns / 1000);

/**
 * The running line of each row in cyclictest's shape, values in µs (truncated, as cyclictest does),
 * the row's name after it: `T: 0 (12345) P: 0 I:1000 C:   5000 Min:      3 Act:    5 Avg:    4 Max:      19  1ms default`.
 * P is 0: no row asks for a real-time priority. A parser of cyclictest's lines reads these.
 */
export function liveLines(rows: readonly LatencyRow[]): string[] {
  return rows.map((r) => {
    const s = r.series;
    return `T:${pad(r.index, 2)} (${pad(r.pid, 5)}) P: 0 I:${r.intervalNs / 1000} C:${pad(s.count, 7)} Min:${pad(usInt(s.minNs), 7)} ` +
      `Act:${pad(usInt(s.actNs), 5)} Avg:${pad(usInt(s.avgNs), 5)} Max:${pad(usInt(s.maxNs), 8)}  ${label(r.intervalNs, r.mode)}` +
      (r.error ? ' FAILED' : '');
  });
}

const fix = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** The table printed at the end, then one verdict per row. From the JSON summary, so both say the same. */
export function formatSummary(report: LatencyJSON): string {
  const head = ['T', 'row', 'cycles', 'missed', 'min', 'p50', 'p90', 'p99', 'p99.9', 'max', 'avg', 'CPU %'];
  const threads = Object.entries(report.thread);
  const cells = threads.map(([i, t]) => [i, t.label + (t.kind === 'floor' ? ' (C)' : ''), String(t.cycles), String(t.missed),
    fix(t.min), fix(t.p50), fix(t.p90), fix(t.p99), fix(t.p999), fix(t.max), fix(t.avg), t.cpu_percent.toFixed(1)]);
  const { sysinfo } = report;
  return [
    `rtimer latency: ${report.duration_s} s on ${sysinfo.cpu} x${sysinfo.cpus}, ${sysinfo.sysname} ${sysinfo.release}, Node ${sysinfo.node}`,
    'lateness in µs at route entry (hrtime on the route\'s first line - ctx.scheduled); (C): the floor thread, no JS',
    table(head, cells, 1).trimEnd(),
    '',
    ...threads.map(([i, t]) => `T:${pad(i, 2)} ${t.verdict}`),
  ].join('\n') + '\n';
}

const z = (v: number, w: number) => String(Math.max(0, Math.trunc(v))).padStart(w, '0');

/**
 * cyclictest's `-h N` dump: one line per 1-µs bucket with a column per row (tab-separated), then
 * totals (samples inside the buckets), min/avg/max in µs, overflows (≥ N µs) and the cycle numbers
 * where they happened (as many as there are buckets, then "# K others").
 */
export function formatHistogram(rows: readonly LatencyRow[]): string {
  const n = rows[0]?.series.buckets.length ?? 0;
  const out = ['# Histogram'];
  for (let i = 0; i < n; i++) out.push(`${z(i, 6)} ${rows.map((r) => z(r.series.buckets[i], 6)).join('\t')}`);
  const totals = rows.map((r) => r.series.buckets.reduce((a, b) => a + b, 0));
  out.push(`# Total:${totals.map((t) => ` ${z(t, 9)}`).join('')}`);
  out.push(`# Min Latencies:${rows.map((r) => ` ${z(r.series.minNs / 1000, 5)}`).join('')}`);
  out.push(`# Avg Latencies:${rows.map((r) => ` ${z(r.series.avgNs / 1000, 5)}`).join('')}`);
  out.push(`# Max Latencies:${rows.map((r) => ` ${z(r.series.maxNs / 1000, 5)}`).join('')}`);
  out.push(`# Histogram Overflows:${rows.map((r) => ` ${z(r.series.overflows, 5)}`).join('')}`);
  out.push('# Histogram Overflow at cycle number:');
  for (const r of rows) {
    const s = r.series;
    const others = s.overflows - s.overflowCycles.length;
    out.push(`# Thread ${r.index}:${s.overflowCycles.map((c) => ` ${z(c, 5)}`).join('')}${others > 0 ? ` # ${z(others, 5)} others` : ''}`);
  }
  return out.join('\n') + '\n';
}
