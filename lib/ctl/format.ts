import type { TimerInfo } from './types.js';

/**
 * Columns padded to their widest cell; the name column (`left`, the first unless said) left-aligned,
 * the others right-aligned (every CLI table).
 */
export function table(head: string[], rows: string[][], left = 0): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : '-');
/** ns as µs the way every CLI table prints them: one decimal below 10 µs. */
export const microseconds = (ns: number): string => (ns / 1000).toFixed(ns < 10_000 ? 1 : 0);
const us = (ns: unknown) => (typeof ns === 'number' && Number.isFinite(ns) ? microseconds(ns) : '-');

const restarts = (n: unknown) => (typeof n === 'number' && n > 0 ? `, ${n} restart${n === 1 ? '' : 's'}` : '');

function until(deadline: number | null, now: number): string {
  if (deadline === null || !Number.isFinite(deadline)) return '-';
  const s = (deadline - now) / 1000;
  return s <= 0 ? 'due' : `in ${s < 10 ? s.toFixed(3) : s.toFixed(1)}s`;
}

/** `rtimer ctl … list`: one line per timer, one per worker of a mode=N timer. */
export function formatList(timers: TimerInfo[], now = Date.now()): string {
  const head = ['timer', 'state', 'mode', 'interval', 'next', 'ticks', 'executions', 'missed', 'paused', 'errors', 'triggered'];
  const rows = timers.flatMap((t) => {
    const c = t.counters ?? {};
    return [
      [t.name, t.state, String(t.mode), `${t.interval}${t.unit ?? ''}`, until(t.nextDeadline, now),
        num(c.ticks), num(c.executions), num(c.missed), num(c.paused), num(c.errors), num(c.triggered)],
      ...(t.cluster ? [[`  cluster ${t.cluster.mode}: ${t.cluster.node} is ${t.cluster.role}` +
        (t.cluster.mode === 'once' ? `, leader ${t.cluster.leader ?? '-'}${t.cluster.role === 'leader' ? ` (term ${t.cluster.term})` : ''}` : ''),
      '', '', '', '', '', '', '', '', '', '']] : []),
      ...(t.workers ?? []).map((w) => [`  worker ${w.worker} pid ${w.pid ?? '-'}${restarts(w.restarts)}`,
        w.state, '', '', '', '', '', '', '', '', '']),
    ];
  });
  return table(head, rows);
}

type StatsRow = {
  name?: unknown; mode?: unknown; intervalUs?: unknown; failed?: unknown;
  ticks?: unknown; executions?: unknown; missed?: unknown; paused?: unknown; errors?: unknown;
  lateness?: { p50?: unknown; p99?: unknown; max?: unknown };
  workers?: (StatsRow & { worker?: unknown; pid?: unknown; restarts?: unknown })[];
};

/** `rtimer ctl … stats`: the counters and lateness (µs) of `rtimer run`'s summary, from stats() JSON. */
export function formatStats(stats: unknown[]): string {
  const head = ['timer', 'mode', 'interval µs', 'ticks', 'executions', 'missed', 'paused', 'errors', 'late p50 µs', 'p99 µs', 'max µs'];
  const cells = (label: string, mode: string, interval: string, s: StatsRow) => [label, mode, interval,
    num(s.ticks), num(s.executions), num(s.missed), num(s.paused), num(s.errors),
    us(s.lateness?.p50), us(s.lateness?.p99), us(s.lateness?.max)];
  const rows = (stats as StatsRow[]).flatMap((s) => [
    cells(`${String(s.name)}${s.failed ? ' (FAILED)' : ''}`, String(s.mode ?? '-'), num(s.intervalUs), s),
    ...(Array.isArray(s.workers) ? s.workers : []).map((w) =>
      cells(`  worker ${String(w.worker)} pid ${w.pid ?? '-'}${restarts(w.restarts)}`, '', '', w)),
  ]);
  return table(head, rows);
}
