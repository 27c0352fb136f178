import type { TimerStats } from '../stats/timer-stats.js';
import { microseconds, table } from '../ctl/format.js';

const us = microseconds;

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
  return table(head, rows);
}
