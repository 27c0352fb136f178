// RTP at scale: N concurrent G.711 streams (20 ms, 160-byte payload) paced by one process — one timer
// per stream — to a UDP receiver on 127.0.0.1 in another process, which computes each stream's RFC 3550
// interarrival jitter (bench/rtp-scale-receiver.ts). Reports, per candidate and N, the mean and the max
// jitter over the run of each stream (as Wireshark's RTP analysis does), their p50/p99 over the streams,
// packets lost and the sender's CPU.
//
//   npx tsx bench/rtp-scale.ts [--streams 1,100,1000] [--duration 10] [--repeat 1] [--json out.json]
//                              [--candidates rtimer,rtimer-precision,nanotimer,setInterval] [--peers-max 100] [--spread]
//
// nanotimer and setInterval run for N ≤ --peers-max only (default 100: a hundred nanotimers already
// spin a core each turn). --spread adds node-rtimer rows with `stagger: true` (streams spread over the 20 ms).
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ReceiverReport, StreamJitter } from './rtp-scale-receiver.js';
import type { RtpCandidate, SenderJob, SenderReport } from './rtp-scale-sender.js';

const TSX = { execArgv: ['--import', 'tsx'] };
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

export interface RtpRow {
  candidate: RtpCandidate;
  layout: 'in phase' | 'spread';
  streams: number;
  received: number;
  sent: number;
  lost: number;
  missed: number;
  meanJitterP50Ms: number; meanJitterP99Ms: number;
  maxJitterP50Ms: number; maxJitterP99Ms: number;
  senderCpuPct: number;
  perStream: StreamJitter[];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function once<T>(child: ReturnType<typeof fork>): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${child.spawnargs.join(' ')} exited (${code}) before it answered`)));
  });
}

/**
 * One run: a receiver, then the sender for `durationMs`, then the receiver's report. `onPort` runs
 * once the receiver listens and before the sender starts (bench/rtp-wireshark.ts starts its capture there).
 */
export async function runRtp(candidate: RtpCandidate, streams: number, durationMs: number, spread = false,
  onPort?: (port: number) => Promise<void>): Promise<RtpRow> {
  const rx = fork(here('./rtp-scale-receiver.ts'), [], TSX);
  const { port } = await once<{ port: number }>(rx);
  await onPort?.(port);
  const tx = fork(here('./rtp-scale-sender.ts'), [], TSX);
  const job: SenderJob = { candidate, streams, port, durationMs, spread };
  tx.send(job);
  const sent = await once<SenderReport>(tx);
  await new Promise((r) => setTimeout(r, 300)); // the last packets reach the receiver
  rx.send('report');
  const rep = await once<ReceiverReport>(rx);
  const mean = rep.streams.map((s) => s.meanJitterMs).sort((a, b) => a - b);
  const max = rep.streams.map((s) => s.maxJitterMs).sort((a, b) => a - b);
  return {
    candidate, layout: spread ? 'spread' : 'in phase', streams,
    received: rep.streams.reduce((a, s) => a + s.packets, 0), sent: sent.packets,
    lost: rep.streams.reduce((a, s) => a + s.lost, 0), missed: sent.missed,
    meanJitterP50Ms: quantile(mean, 0.5), meanJitterP99Ms: quantile(mean, 0.99),
    maxJitterP50Ms: quantile(max, 0.5), maxJitterP99Ms: quantile(max, 0.99),
    senderCpuPct: sent.cpuPct, perStream: rep.streams,
  };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

/** Medians over repeats, field by field (the per-stream detail of the first run). */
function medianRow(rs: RtpRow[]): RtpRow {
  const m = (k: keyof RtpRow) => median(rs.map((r) => r[k] as number));
  return { ...rs[0], received: m('received'), sent: m('sent'), lost: m('lost'), missed: m('missed'),
    meanJitterP50Ms: m('meanJitterP50Ms'), meanJitterP99Ms: m('meanJitterP99Ms'), maxJitterP50Ms: m('maxJitterP50Ms'),
    maxJitterP99Ms: m('maxJitterP99Ms'), senderCpuPct: m('senderCpuPct') };
}

const f3 = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(3));

export function markdown(rows: RtpRow[]): string {
  const head = '| candidate | layout | N | packets sent / received / lost (seq gaps) | ticks skipped by the sender | mean jitter p50 / p99 over streams (ms) | max jitter p50 / p99 (ms) | sender CPU % |\n|---|---|---|---|---|---|---|---|';
  return [head, ...rows.map((r) => `| ${r.candidate} | ${r.layout} | ${r.streams.toLocaleString('en-US')} | ${r.sent} / ${r.received} / ${r.lost} | ${r.missed} | ` +
    `${f3(r.meanJitterP50Ms)} / ${f3(r.meanJitterP99Ms)} | ${f3(r.maxJitterP50Ms)} / ${f3(r.maxJitterP99Ms)} | ${r.senderCpuPct.toFixed(1)} |`)].join('\n');
}

/** The largest N whose node-rtimer row kept the p99 (over streams) of the mean jitter ≤ 1 ms within one core. */
export function sustained(rows: RtpRow[], candidate: RtpCandidate, layout: RtpRow['layout']): number {
  const ok = rows.filter((r) => r.candidate === candidate && r.layout === layout && r.meanJitterP99Ms <= 1 && r.senderCpuPct < 100 && r.lost === 0);
  return Math.max(0, ...ok.map((r) => r.streams));
}

async function main(argv: string[]) {
  const arg = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
  const streamsList = arg('streams', '1,100,1000').split(',').map(Number);
  const durationMs = Number(arg('duration', '10')) * 1000;
  const repeat = Number(arg('repeat', '1'));
  const peersMax = Number(arg('peers-max', '100'));
  const candidates = arg('candidates', 'rtimer,rtimer-precision,nanotimer,setInterval').split(',') as RtpCandidate[];
  const spread = argv.includes('--spread');
  if (streamsList.some((n) => !(Number.isInteger(n) && n >= 1 && n <= 10_000)) || !(durationMs >= 500) || !(repeat >= 1)) {
    throw new Error('usage: --streams <1..10000,...> --duration <s ≥ 0.5> --repeat <n ≥ 1>');
  }
  console.log(`RTP at scale: ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Linux ${os.release()}, Node ${process.version}, ` +
    `load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${durationMs / 1000} s per run, medians of ${repeat}`);
  const rows: RtpRow[] = [];
  for (const n of streamsList) {
    const plan: [RtpCandidate, boolean][] = candidates.filter((c) => c.startsWith('rtimer') || n <= peersMax).map((c) => [c, false]);
    if (spread) plan.push(...candidates.filter((c) => c.startsWith('rtimer')).map((c): [RtpCandidate, boolean] => [c, true]));
    for (const [c, s] of plan) {
      const runs: RtpRow[] = [];
      for (let k = 0; k < repeat; k++) runs.push(await runRtp(c, n, durationMs, s));
      const r = medianRow(runs);
      rows.push(r);
      console.log(markdown([r]).split('\n').at(-1));
    }
  }
  console.log(`\n${markdown(rows)}\n`);
  for (const layout of ['in phase', 'spread'] as const) {
    for (const c of ['rtimer', 'rtimer-precision'] as const) {
      if (!rows.some((r) => r.candidate === c && r.layout === layout)) continue;
      console.log(`${c}, ${layout}: the largest N tested with p99 (over streams) of the mean RFC 3550 jitter ≤ 1 ms, no loss, ` +
        `sender < 100% of a core: ${sustained(rows, c, layout) || 'none'}`);
    }
  }
  const out = arg('json', '');
  if (out) writeFileSync(out, JSON.stringify({ machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, kernel: os.release(), node: process.version, load: os.loadavg() },
    durationMs, repeat, rows }, null, 2));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
