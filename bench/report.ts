import type { combine } from './measure.js';

export type Row = ReturnType<typeof combine>;

const us = (ns: number) => (Number.isNaN(ns) ? 'n/a' : Math.abs(ns) >= 100_000 ? (ns / 1000).toFixed(0) : (ns / 1000).toFixed(1));
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×` : '–');

/** One table: figures per candidate, ratios against the reference candidate (node-rtimer, default mode). */
export function table(rows: Row[], reference = 'rtimer'): { head: string[]; body: string[][] } {
  const ref = rows.find((r) => r.candidate === reference);
  // Route entry first: what a route feels. Then the engine's own figure (ctx.started) and the gap
  // between the two, per call.
  const head = ['candidate', 'route entry p50 / p99 µs', 'p99.9 µs', 'max µs', 'CPU %', 'engine p50/p99 µs', 'entry − started p50 µs',
    'ticks run/expected', 'missed', 'interval dev p99 µs', 'drift µs', 'p50 vs rtimer', 'p99 vs rtimer', 'note'];
  const body = rows.map((r) => [
    r.candidate, `${us(r.p50)} / ${us(r.p99)}`, us(r.p999), us(r.max), r.cpuPct ? r.cpuPct.toFixed(1) : 'n/a',
    Number.isNaN(r.engineP50) ? '–' : `${us(r.engineP50)}/${us(r.engineP99)}`, Number.isNaN(r.gapP50) ? '–' : us(r.gapP50),
    `${r.executed}/${r.expected}`, String(r.missed), us(r.intervalDevP99),
    us(r.driftNs), ref ? ratio(r.p50, ref.p50) : '–', ref ? ratio(r.p99, ref.p99) : '–',
    [r.note, r.runs > 1 ? `p50 ${us(r.p50Spread[0])}..${us(r.p50Spread[1])}, p99 ${us(r.p99Spread[0])}..${us(r.p99Spread[1])} over ${r.runs} runs` : '']
      .filter(Boolean).join('; '),
  ]);
  return { head, body };
}

export function markdown(t: { head: string[]; body: string[][] }): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`| ${t.head.join(' | ')} |`, `|${t.head.map(() => '---').join('|')}|`, ...t.body.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

export function text(t: { head: string[]; body: string[][] }): string {
  const cols = t.head.map((h, i) => Math.max(h.length, ...t.body.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(cols[i]) : c.padStart(cols[i]))).join('  ').trimEnd();
  return [line(t.head), ...t.body.map(line)].join('\n');
}
