import type { TimerStats } from '../rtimer.js';

const us = (ns: number) => (ns / 1000).toFixed(ns < 10_000 ? 1 : 0);

/** One line per timer: counters and lateness percentiles in µs. */
export function formatSummary(stats: TimerStats[]): string {
  const head = ['timer', 'mode', 'ticks', 'executions', 'skipped', 'errors', 'late p50 µs', 'p99 µs', 'max µs'];
  const rows = stats.map((s) => [
    s.name, String(s.mode), String(s.ticks), String(s.executions), String(s.missed), String(s.errors),
    us(s.lateness.percentile(50)), us(s.lateness.percentile(99)), us(s.lateness.max),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
