import type { TimerStats } from '../stats/timer-stats.js';

const us = (ns: number) => (ns / 1000).toFixed(ns < 10_000 ? 1 : 0);

/** One line per timer (executions + missed + paused = ticks): counters and lateness percentiles in µs. */
export function formatSummary(stats: TimerStats[]): string {
  const head = ['timer', 'mode', 'ticks', 'executions', 'missed', 'paused', 'errors', 'late p50 µs', 'p99 µs', 'max µs'];
  type Row = Pick<TimerStats, 'ticks' | 'executions' | 'missed' | 'paused' | 'errors' | 'lateness'>;
  const cells = (name: string, mode: string, s: Row) => [name, mode, String(s.ticks), String(s.executions), String(s.missed),
    String(s.paused), String(s.errors), us(s.lateness.percentile(50)), us(s.lateness.percentile(99)), us(s.lateness.max)];
  const rows = stats.flatMap((s) => [
    cells(s.name + (s.failed ? ' (FAILED)' : ''), String(s.mode), s),
    ...(s.workers ?? []).map((w) => cells(`  worker ${w.worker} pid ${w.pid ?? '-'}${w.restarts ? `, ${w.restarts} restarts` : ''}`, '', w)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
