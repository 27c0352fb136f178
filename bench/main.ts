// npm run bench [-- --quick] [-- --repeat N] [-- --scenarios 1,3] [-- --duration 0.5]
// Measures node-rtimer against the alternatives, side by side in one run, and writes
// bench/results/<timestamp>/: results.json, results.md, SVG charts and HdrHistogram .hgrm files.
// Lateness is taken at route entry for every candidate: `process.hrtime.bigint()` on the callback's
// first line minus that candidate's own ideal time (bench/recorder.ts). `--duration <seconds>`
// replaces every run's length (smoke runs only: the figures need the full lengths).
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { overTimeChart, percentileChart } from './charts.js';
import type { ChildJob } from './child.js';
import { RTimer } from '../dist/index.js';
import { cyclictest, FLOOR_C, FLOOR_CYCLICTEST, hostStalls, kamailio, nativeFloor, type External } from './external.js';
import { combine, figures, histogram, type Trace } from './measure.js';
import { markdown, table, text, type Row } from './report.js';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const value = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const quick = flag('quick');
const repeat = Math.max(1, Number(value('repeat', '1')));
const only = new Set(value('scenarios', '1,2,3,4,5,6,7').split(',').map(Number));
const durationFlag = value('duration', '');
if (durationFlag && !(Number(durationFlag) > 0)) throw new Error(`--duration ${durationFlag}: expected seconds, a number > 0`);
/** A run's length in ms: the full one, the --quick one, or the --duration override. */
const dur = (fullMs: number, quickMs: number) => (durationFlag ? Math.round(Number(durationFlag) * 1000) : quick ? quickMs : fullMs);
const outDir = value('out', fileURLToPath(new URL(`./results/${new Date().toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}/`, import.meta.url)));

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  kernel: `${os.type()} ${os.release()}`, node: process.version, date: new Date().toISOString(), quick, repeat,
  durationOverrideS: durationFlag ? Number(durationFlag) : undefined,
};
const machineLine = `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.kernel}, Node ${machine.node}`;
console.log(`node-rtimer benchmark on ${machineLine}`);

let step = 0;
const progress = (what: string) => process.stderr.write(`[${++step}] ${what}\n`);

function runChild(job: ChildJob): Promise<Trace> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], serialization: 'advanced' });
    child.once('message', (m: { ok: boolean; trace?: Trace; error?: string }) => (m.ok ? resolve(m.trace!) : reject(new Error(m.error))));
    child.once('exit', (code) => { if (code) reject(new Error(`${job.candidate} child exited with ${code}`)); });
    child.send(job);
  });
}

interface Candidate { name: string; run(intervalNs: number, durationMs: number): Promise<Trace | { skipped: string }> }
const node = (name: string, extra: Partial<ChildJob> = {}): Candidate => ({ name, run: (intervalNs, durationMs) => runChild({ candidate: name, intervalNs, durationMs, ...extra }) });
const ext = (name: string, f: (i: number, d: number) => External | Promise<External>): Candidate => ({
  name, run: async (i, d) => { const r = await f(i, d); return 'trace' in r ? r.trace : r; },
});

interface Section { title: string; description: string; rows: Row[]; skipped: string[]; traces: Trace[]; extra?: Record<string, unknown>[] }

async function compare(title: string, description: string, intervalNs: number, durationMs: number, candidates: Candidate[]): Promise<Section> {
  const rows: Row[] = [];
  const skipped: string[] = [];
  const traces: Trace[] = [];
  for (const c of candidates) {
    const runs = [];
    for (let r = 0; r < repeat; r++) {
      progress(`${title}: ${c.name}${repeat > 1 ? ` (run ${r + 1}/${repeat})` : ''}, ${durationMs / 1000} s`);
      const t = await c.run(intervalNs, durationMs);
      if ('skipped' in t) { skipped.push(`${c.name}: ${t.skipped}`); break; }
      runs.push(figures(t));
      if (r === 0) traces.push(t);
    }
    if (runs.length) rows.push(combine(runs));
  }
  return { title, description, rows, skipped, traces };
}

const ms = (n: number) => n * 1_000_000;
const sections: Section[] = [];
const charts: Record<string, string> = {};

async function scenarioIdle() {
  const idle = [
    node('rtimer'), node('rtimer-precision'), node('rtimer-process'), node('setInterval'), node('setTimeout-corrected'),
    node('nanotimer'), node('busy-spin'), ext(FLOOR_C, nativeFloor), ext(FLOOR_CYCLICTEST, cyclictest), ext('kamailio rtimer', kamailio),
  ];
  // Long intervals: the path from an idle CPU to the route is at its coldest. Fewer candidates (the
  // others say nothing new there) and runs long enough for a p99 of 100 ticks or more where it fits.
  const slow = [node('rtimer'), node('rtimer-precision'), node('nanotimer'), ext(FLOOR_C, nativeFloor)];
  const plan: [string, number, number, Candidate[]][] = [
    ['100 µs', 100_000, dur(3000, 300), idle], ['1 ms', ms(1), dur(5000, 600), idle], ['20 ms', ms(20), dur(10000, 1200), idle],
    ['200 ms', ms(200), dur(30000, 2000), slow], ['1 s', ms(1000), dur(60000, 5000), slow],
  ];
  for (const [label, iv, dur, who] of plan) {
    const s = await compare(`1. idle machine, ${label} interval`, `Each candidate alone, ${dur / 1000} s.`, iv, dur, who);
    sections.push(s);
    const slug = label.replace(/\s|µ/g, (c) => (c === 'µ' ? 'u' : ''));
    charts[`percentiles-${slug}.svg`] = await percentileChart(`Lateness percentiles, ${label} interval`, s.traces);
    charts[`over-time-${slug}.svg`] = await overTimeChart(`Lateness over time, ${label} interval`, s.traces);
    for (const t of s.traces) {
      charts[`${slug}-${t.candidate.replace(/\W+/g, '_')}.hgrm`] = histogram(t.lateNs).outputPercentileDistribution(5, 1000); // µs
    }
  }
}

async function scenarioBusy() {
  const busy = { busyMs: 5, everyMs: 10 };
  const s = await compare('2. busy main event loop, 1 ms interval',
    'The process that owns the timer burns 5 ms of CPU every 10 ms on its event loop. CPU % includes that load.',
    ms(1), dur(5000, 1000), ['rtimer', 'rtimer-precision', 'rtimer-process', 'setInterval'].map((n) => node(n, { busy })));
  sections.push(s);
  charts['busy-percentiles-1ms.svg'] = await percentileChart('Lateness percentiles, 1 ms, busy event loop', s.traces);
}

async function scenarioRtp() {
  const rows: Record<string, unknown>[] = [];
  const candidates = ['rtimer', 'rtimer-precision', 'nanotimer', 'setInterval', 'setTimeout-corrected'];
  const wrapped = candidates.map((name): Candidate => ({
    name,
    run: async (intervalNs, durationMs) => {
      const rx = fork(fileURLToPath(new URL('./rtp-receiver.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] });
      const { port } = await new Promise<{ port: number }>((r) => rx.once('message', r as never));
      const trace = await runChild({ candidate: name, intervalNs, durationMs, rtpPort: port });
      await new Promise((r) => setTimeout(r, 50));
      const report = await new Promise<Record<string, number>>((r) => { rx.once('message', r as never); rx.send('report'); });
      rows.push({ candidate: name, packets: report.packets, meanJitterUs: report.meanJitterUs, maxJitterUs: report.maxJitterUs,
        lastJitterUs: report.lastJitterUs, ptErrorP50Us: report.ptErrorP50 / 1000,
        ptErrorP99Us: report.ptErrorP99 / 1000, ptErrorMaxUs: report.ptErrorMax / 1000 });
      return trace;
    },
  }));
  const s = await compare('3. RTP pacing, 20 ms, 172-byte packets over UDP on 127.0.0.1',
    'Sender paced by the candidate; receiver in another process computes RFC 3550 interarrival jitter J per packet and reports its mean and max over the stream (as Wireshark\'s RTP analysis does; the last J beside them), and the packet-time error (arrival − ideal send time).',
    ms(20), dur(10000, 1500), wrapped);
  // One row per candidate: the median of each figure over the repeated runs.
  s.extra = candidates.map((name) => {
    const mine = rows.filter((r) => r.candidate === name);
    const med = (k: string) => { const v = mine.map((r) => r[k] as number).sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
    return { candidate: name, ...Object.fromEntries(Object.keys(mine[0] ?? {}).filter((k) => k !== 'candidate').map((k) => [k, med(k)])) };
  });
  sections.push(s);
}

async function scenarioThroughput() {
  const rows: Row[] = [];
  const traces: Trace[] = [];
  const skipped: string[] = [];
  for (const hz of [1_000, 10_000, 20_000, 50_000, 100_000]) {
    // The C loop beside it at 10 kHz: the CPU the wake-ups alone cost on this host, in the same run.
    const who = hz === 10_000 ? [node('rtimer'), ext(FLOOR_C, nativeFloor)] : [node('rtimer')];
    const s = await compare(`4. throughput ${hz / 1000} kHz`, '', 1e9 / hz, dur(2000, 500), who);
    for (const r of s.rows) rows.push({ ...r, candidate: `${r.candidate === 'rtimer' ? 'rtimer' : r.candidate} @ ${hz / 1000} kHz` });
    skipped.push(...s.skipped);
    traces.push(...s.traces);
  }
  const ok = rows.filter((r) => r.candidate.startsWith('rtimer @') && r.missed / r.expected < 0.01 && Math.abs(r.driftNs) < 100_000);
  sections.push({ title: '4. throughput: one in-process timer, trivial route',
    description: `Highest rate sustained (missed < 1%, no lateness growth): ${ok.length ? ok[ok.length - 1].candidate.split('@ ')[1] : 'none'}.`,
    rows, skipped, traces });
}

async function scenarioScale() {
  const s = await compare('5. scale: 1,000 timers of 10 ms..1 s in one process', 'Lateness over all timers; threads added by the timers.',
    ms(10), dur(5000, 1500), [node('rtimer-scale'), node('setInterval-scale')]);
  sections.push(s);
  charts['scale-percentiles.svg'] = await percentileChart('Lateness percentiles, 1,000 timers in one process', s.traces);
}

/** Why the library cannot spread inline timers over the interval yet, or null once it can (a `phase` option). */
function noInlinePhase(): string | null {
  try {
    new RTimer({ routes: {} }).timer({ name: 'probe', interval: '20ms', mode: 'inline', phase: '10ms' } as Parameters<RTimer['timer']>[0]);
    return null;
  } catch (err) {
    return `not yet possible: node-rtimer has no phase/stagger option for inline timers (${(err as Error).message}); ` +
      '`stagger` spreads only the processes of one mode=N timer';
  }
}

async function scenarioInPhase() {
  const whyNot = noInlinePhase();
  const spread: Candidate = whyNot
    ? { name: 'rtimer-1000-spread', run: async () => ({ skipped: whyNot }) }
    : node('rtimer-1000-spread');
  const s = await compare('6. scale: 1,000 × 20 ms inline timers, in phase and spread',
    'One process, 1,000 inline timers (default mode) of 20 ms. In phase: every timer due at once; spread: timer i has phase i × 20 µs. ' +
    'Route-entry lateness over all timers; CPU % of the whole process.',
    ms(20), dur(10000, 1500), [node('rtimer-1000-in-phase'), spread]);
  sections.push(s);
  charts['in-phase-percentiles.svg'] = await percentileChart('Lateness percentiles, 1,000 × 20 ms inline timers', s.traces);
}

async function scenarioTenThousand() {
  const s = await compare('7. scale: 10,000 × 1 s inline timers, spread and in phase',
    'One process, 10,000 inline timers (default mode) of 1 s. Spread: timer i has phase i × 100 µs (as timers created ' +
    'at different moments would be); in phase: all 10,000 due at once. Route-entry lateness over all timers; ' +
    'the note gives the threads the timers added (0: the event loop wakes them).',
    ms(1000), dur(10000, 3000), [node('rtimer-10000-spread'), node('rtimer-10000-in-phase')]);
  sections.push(s);
}

/** The host's own stalls, before and after the scenarios: the reason for tails no timer can avoid. */
const hostRows: Record<string, unknown>[] = [];
const hostSkipped: string[] = [];
function probeHost(when: string) {
  progress(`host stalls (${when})`);
  const r = hostStalls(when, durationFlag ? 0.5 : 5, 20_000_000, durationFlag ? 20 : 200);
  if ('skipped' in r) hostSkipped.push(`host stalls: ${r.skipped as string}`);
  else hostRows.push(r);
}

const scenarios: [number, () => Promise<void>][] = [[1, scenarioIdle], [2, scenarioBusy], [3, scenarioRtp], [4, scenarioThroughput], [5, scenarioScale], [6, scenarioInPhase], [7, scenarioTenThousand]];
const t0 = Date.now();
probeHost('before');
for (const [n, run] of scenarios) if (only.has(n)) await run();
probeHost('after');
sections.unshift({
  title: '0. the host: what a thread that never sleeps loses',
  description: 'bench/host-stalls.c: a C loop reading CLOCK_MONOTONIC, timing the gaps between consecutive reads (5 s), then ' +
    '200 times: sleep 20 ms, spin 500 µs, the largest gap in that spin. A gap is time the CPU was taken from the thread ' +
    '(interrupts, or the hypervisor): no timer, native or JS, can start a route more precisely than these gaps allow.',
  rows: [], skipped: hostSkipped, traces: [], extra: hostRows,
});

mkdirSync(outDir, { recursive: true });
const md: string[] = [
  `# node-rtimer benchmark${quick ? ' (quick)' : ''}`, '',
  `Machine: ${machineLine}; ${machine.date}; ${repeat} run(s) per candidate (figures are medians)` +
  `${durationFlag ? `; every run shortened to ${durationFlag} s (--duration): a smoke run, not figures to quote` : ''}.`, '',
  'Lateness is measured at route entry, the same way for every candidate: `process.hrtime.bigint()` on the first line of the ' +
  'route (callback) minus that candidate\'s own ideal time for the call, in µs. node-rtimer (inline, precision, dedicated process): ' +
  '`ctx.scheduled`. setInterval, setTimeout-corrected, busy-spin: `t0 + k·interval` from their own start. nanotimer: its own schedule ' +
  'anchor `intervalT1 + k·interval`. The floor rows (C clock_nanosleep, cyclictest) are native threads with no JS call; Kamailio\'s ' +
  'rtimer is measured from its first execution. "engine p50/p99" is node-rtimer\'s own figure (`ctx.started − ctx.scheduled`, the ' +
  'clock read on the line before the route is called, which `stats()` records); "entry − started" is the median gap per call between ' +
  'the two. Every candidate runs with its default options (`rtimer-precision`: `precision: true`).', '',
  'Interval deviation = |gap between consecutive ticks − interval|. ' +
  'Drift = median lateness of the last 10% of ticks − of the first 10%. CPU % = process CPU time / wall time (100 = one core).', '',
];
for (const s of sections) {
  const t = table(s.rows);
  console.log(`\n## ${s.title}\n${s.description}${s.rows.length ? `\n${text(t)}` : ''}`);
  md.push(`## ${s.title}`, '', s.description, '');
  if (s.rows.length) md.push(markdown(t), '');
  if (s.extra?.length) {
    const head = Object.keys(s.extra[0]);
    const body = s.extra.map((r) => head.map((k) => (typeof r[k] === 'number' ? (r[k] as number).toFixed(1) : String(r[k]))));
    console.log(text({ head, body }));
    md.push(markdown({ head, body }), '');
  }
  for (const k of s.skipped) { console.log(`skipped ${k}`); md.push(`- skipped ${k}`); }
  md.push('');
}
md.push('## Charts', '', ...Object.keys(charts).filter((f) => f.endsWith('.svg')).map((f) => `![${f}](${f})`), '');
writeFileSync(`${outDir}/results.md`, md.join('\n'));
writeFileSync(`${outDir}/results.json`, JSON.stringify({ machine, sections: sections.map(({ traces: _t, ...s }) => s) }, null, 2));
for (const [name, content] of Object.entries(charts)) writeFileSync(`${outDir}/${name}`, content);
console.log(`\nwrote ${outDir} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
