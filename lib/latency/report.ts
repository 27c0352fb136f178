import os from 'node:os';
import type { LatencyRow } from './rows.js';
import { label } from './rows.js';

/** Percentiles the distribution plot and the JSON carry (the last is the max). */
export const PERCENTILES = [0.1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100] as const;

const us1 = (ns: number) => Math.round(ns / 100) / 10;

/** One row of the JSON summary (`thread` in cyclictest's --json). Lateness in µs. */
export interface LatencyThreadJSON {
  label: string;
  kind: 'timer' | 'floor';
  mode: string;
  interval_us: number;
  pid: number;
  cycles: number;
  min: number; avg: number; max: number;
  p50: number; p90: number; p99: number; p999: number;
  missed: number;
  dropped: number;
  cpu_percent: number;
  /** Only with --histogram N: bucket (µs) → count, buckets with no sample left out, as cyclictest does. */
  histogram?: Record<string, number>;
  overflows?: number;
  overflow_cycles?: number[];
  percentiles: [number, number][];
  timeline: { bin_ms: number; mean: (number | null)[]; max: (number | null)[] };
  verdict: string;
  error?: string;
}

/** `rtimer latency --json`: shaped after cyclictest's --json (file_version, sysinfo, num_threads, thread). */
export interface LatencyJSON {
  file_version: 1;
  tool: 'rtimer latency';
  version: string;
  cmdline: string;
  start_time: string;
  end_time: string;
  duration_s: number;
  return_code: number;
  sysinfo: { sysname: string; nodename: string; release: string; machine: string; cpu: string; cpus: number; node: string };
  measure: 'route entry: process.hrtime.bigint() on the route\'s first line - ctx.scheduled; floor: clock_nanosleep(TIMER_ABSTIME) wake - deadline';
  unit: 'us';
  histogram_buckets: number;
  num_threads: number;
  thread: Record<string, LatencyThreadJSON>;
}

const RTP_PTIMES_MS = new Set([10, 20, 30, 40, 60]);

/** "20 ms RTP pacing", "1 ms timers": what an operator runs at that interval. */
export function useOf(intervalNs: number): string {
  const ms = intervalNs / 1e6;
  if (RTP_PTIMES_MS.has(ms)) return `${ms} ms RTP pacing`;
  const text = intervalNs % 1e9 === 0 ? `${intervalNs / 1e9} s` : intervalNs % 1e6 === 0 ? `${ms} ms` : `${intervalNs / 1e3} µs`;
  return `${text} timers`;
}

function pct(ns: number, intervalNs: number): string {
  const p = (ns / intervalNs) * 100;
  return p >= 10 ? p.toFixed(0) : p >= 0.1 ? p.toFixed(1) : p.toFixed(2);
}

const fmtUs = (ns: number) => { const u = ns / 1000; return u >= 100 ? u.toFixed(0) : u.toFixed(1); };

/**
 * One line per row: the p99 at route entry against the interval, the host floor beside it, and a word:
 * good (p99 ≤ 1% of the interval), fair (≤ 10%), poor (more, or more than 1% of ticks missed).
 */
export function verdict(row: LatencyRow, floor: LatencyRow | undefined): string {
  const s = row.series;
  if (row.error) return `${useOf(row.intervalNs)}, ${row.mode}: FAILED (${row.error})`;
  if (s.count === 0) return `${useOf(row.intervalNs)}, ${row.mode}: no samples`;
  const p99 = s.hist.percentile(99);
  if (row.mode === 'floor') {
    return `${useOf(row.intervalNs)}, host floor (C clock_nanosleep thread, no JS): p99 ${fmtUs(p99)} µs, ${pct(p99, row.intervalNs)}% of the interval`;
  }
  const missedShare = row.ticks ? row.missed / row.ticks : 0;
  const share = p99 / row.intervalNs;
  const word = missedShare > 0.01 ? `poor: ${(missedShare * 100).toFixed(1)}% of ticks missed`
    : share <= 0.01 ? 'good' : share <= 0.1 ? 'fair' : 'poor';
  const beside = floor && floor.series.count ? ` (floor p99 ${fmtUs(floor.series.hist.percentile(99))} µs)` : '';
  return `${useOf(row.intervalNs)}, ${row.mode}: p99 ${fmtUs(p99)} µs, ${pct(p99, row.intervalNs)}% of the interval${beside}: ${word}`;
}

export function floorOf(rows: readonly LatencyRow[], row: LatencyRow): LatencyRow | undefined {
  return rows.find((r) => r.mode === 'floor' && r.intervalNs === row.intervalNs);
}

function threadJSON(row: LatencyRow, rows: readonly LatencyRow[], buckets: number): LatencyThreadJSON {
  const s = row.series;
  const h = s.hist;
  const p = (q: number) => (s.count ? us1(h.percentile(q)) : 0);
  const t = s.timeline();
  const nul = (v: number) => (Number.isNaN(v) ? null : us1(v));
  const histogram: Record<string, number> = {};
  for (let i = 0; i < s.buckets.length; i++) if (s.buckets[i]) histogram[String(i)] = s.buckets[i];
  return {
    label: label(row.intervalNs, row.mode),
    kind: row.mode === 'floor' ? 'floor' : 'timer',
    mode: row.mode,
    interval_us: row.intervalNs / 1000,
    pid: row.pid,
    cycles: s.count,
    min: us1(s.minNs), avg: us1(s.avgNs), max: us1(s.maxNs),
    p50: p(50), p90: p(90), p99: p(99), p999: p(99.9),
    missed: row.missed,
    dropped: row.dropped,
    cpu_percent: row.wallNs ? Math.round((row.cpuNs / row.wallNs) * 1000) / 10 : 0,
    ...(buckets > 0 ? { histogram, overflows: s.overflows, overflow_cycles: [...s.overflowCycles] } : {}),
    percentiles: PERCENTILES.map((q) => [q, p(q)]),
    timeline: { bin_ms: t.binNs / 1e6, mean: t.mean.map(nul), max: t.max.map(nul) },
    verdict: verdict(row, floorOf(rows, row)),
    ...(row.error ? { error: row.error } : {}),
  };
}

export interface ReportMeta { version: string; cmdline: string; start: Date; end: Date; returnCode: number; buckets: number }

const cyclictestDate = (d: Date) => d.toUTCString().replace('GMT', '+0000');

export function buildReport(rows: readonly LatencyRow[], meta: ReportMeta): LatencyJSON {
  const thread: Record<string, LatencyThreadJSON> = {};
  for (const r of rows) thread[String(r.index)] = threadJSON(r, rows, meta.buckets);
  return {
    file_version: 1,
    tool: 'rtimer latency',
    version: meta.version,
    cmdline: meta.cmdline,
    start_time: cyclictestDate(meta.start),
    end_time: cyclictestDate(meta.end),
    duration_s: Math.round((meta.end.getTime() - meta.start.getTime()) / 100) / 10,
    return_code: meta.returnCode,
    sysinfo: { sysname: os.type(), nodename: os.hostname(), release: os.release(), machine: os.machine(),
      cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, node: process.version },
    measure: 'route entry: process.hrtime.bigint() on the route\'s first line - ctx.scheduled; floor: clock_nanosleep(TIMER_ABSTIME) wake - deadline',
    unit: 'us',
    histogram_buckets: meta.buckets,
    num_threads: rows.length,
    thread,
  };
}

