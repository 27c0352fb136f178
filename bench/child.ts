// Runs one candidate timer in this process and sends its Trace to the parent over IPC.
// Lateness is measured the same way for every candidate: `process.hrtime.bigint()` on the
// callback's first line minus that candidate's own ideal time for the call (see Recorder).
import { createSocket } from 'node:dgram';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import NanoTimer from 'nanotimer';
import { RTimer } from '../dist/index.js';
import type { Trace } from './measure.js';
import { Recorder } from './recorder.js';

export interface ChildJob {
  candidate: string;
  intervalNs: number;
  durationMs: number;
  /** Scenario 3: send a 172-byte RTP packet to this UDP port on 127.0.0.1 at every tick. */
  rtpPort?: number;
  /** Blocks this process's event loop for busyMs every everyMs (scenario 2). */
  busy?: { busyMs: number; everyMs: number };
}

const hr = process.hrtime.bigint;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** RTP over UDP: 12-byte header (PT 0, 8 kHz clock) + 160 bytes whose first 8 hold the ideal send time. */
function rtpSender(port: number, rec: Recorder) {
  const sock = createSocket('udp4');
  const ssrc = 0x1234abcd;
  rec.onTick = (tick, dueNs) => {
    const pkt = Buffer.alloc(172);
    pkt[0] = 0x80;
    pkt[1] = 0;
    pkt.writeUInt16BE(tick & 0xffff, 2);
    pkt.writeUInt32BE((tick * 160) >>> 0, 4);
    pkt.writeUInt32BE(ssrc, 8);
    pkt.writeBigInt64BE(dueNs, 12);
    sock.send(pkt, port, '127.0.0.1');
  };
  return () => sock.close();
}

/** node-rtimer's route: the timestamp first, then the record (route entry and the engine's `started`). */
const rtimerRoute = (rec: Recorder) => ({
  R(_m: unknown, ctx: { tick: number; scheduled: bigint; started: bigint }) {
    const now = hr();
    rec.record(ctx.tick, now, ctx.scheduled, ctx.started);
  },
});

async function rtimerScale(job: ChildJob, rec: Recorder) {
  const threads = () => readdirSync('/proc/self/task').length;
  const before = threads();
  const rt = new RTimer({ routes: rtimerRoute(rec) });
  for (let i = 0; i < 1000; i++) {
    rt.timer({ name: `t${i}`, interval: `${scaleIntervalMs(i)}ms`, mode: 'inline' }).exec(`timer=t${i};route=R`);
  }
  await rt.start();
  const during = threads();
  await sleep(job.durationMs);
  await rt.stop();
  const missed = rt.stats().reduce((n, s) => n + s.missed, 0);
  return { countedMissed: missed, orderless: true, note: `${during - before} thread(s) added for 1,000 timers` };
}

const scaleIntervalMs = (i: number) => 10 + Math.round((i * 990) / 999);
const scaleExpected = (durationMs: number) => Array.from({ length: 1000 }, (_, i) => Math.floor(durationMs / scaleIntervalMs(i))).reduce((a, b) => a + b, 0);

export const SCALE_TIMERS = 1000;

/**
 * Scenario 6: 1,000 inline timers of one interval. `spread` gives timer i the phase i·interval/1000
 * through the `phase` option, which only exists once the library has it (see phaseSupported).
 * Each timer is anchored by start() as it is armed, so "in phase" is only as tight as start() is
 * quick: the note says how far apart the anchors really were.
 */
async function rtimerMany(job: ChildJob, rec: Recorder, spread: boolean, count = SCALE_TIMERS) {
  const iv = BigInt(job.intervalNs);
  let lo = -1n;
  let hi = -1n;
  const rt = new RTimer({ routes: { R(_m, ctx) {
    const now = hr();
    rec.record(ctx.tick, now, ctx.scheduled, ctx.started);
    if (ctx.tick !== 1) return; // the anchors, once per timer: this bench's own work stays out of the figures
    const anchor = ctx.scheduled - iv;
    if (lo < 0n || anchor < lo) lo = anchor;
    if (anchor > hi) hi = anchor;
  } } });
  const threads = () => readdirSync('/proc/self/task').length;
  const stepUs = job.intervalNs / 1000 / count;
  for (let i = 0; i < count; i++) {
    const spec = { name: `t${i}`, interval: `${Math.round(job.intervalNs / 1000)}us`, mode: 'inline' as const };
    rt.timer(spread ? { ...spec, phase: `${Math.round(i * stepUs)}us` } as typeof spec : spec).exec(`timer=t${i};route=R`);
  }
  const before = threads();
  const s0 = hr();
  await rt.start();
  const startMs = Number(hr() - s0) / 1e6;
  const added = threads() - before;
  await sleep(job.durationMs);
  await rt.stop();
  const missed = rt.stats().reduce((n, s) => n + s.missed, 0);
  const spanUs = Number(hi - lo) / 1000;
  if (spread && spanUs < job.intervalNs / 2000) throw new Error(`phase was accepted but the deadlines span only ${spanUs.toFixed(0)} µs: not spread`);
  return { countedMissed: missed, orderless: true,
    note: `anchors span ${spanUs.toFixed(0)} µs${spread ? '' : ' (in phase = 0)'}; start() took ${startMs.toFixed(1)} ms; ` +
      `${added} thread(s) added for ${count.toLocaleString('en-US')} timers` };
}

async function setIntervalScale(job: ChildJob, rec: Recorder) {
  const t0 = hr();
  const handles = Array.from({ length: 1000 }, (_, i) => {
    const iv = BigInt(scaleIntervalMs(i)) * 1_000_000n;
    let k = 0;
    return setInterval(() => { const now = hr(); k++; rec.record(k, now, t0 + BigInt(k) * iv); }, Number(iv / 1_000_000n));
  });
  await sleep(job.durationMs);
  handles.forEach(clearInterval);
  return { orderless: true, note: '0 threads added (the event loop)' };
}

function spin(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

function procCpuNs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 1e7; // utime + stime, in 100 Hz ticks
}

async function rtimerInline(job: ChildJob, rec: Recorder, precision: boolean) {
  const rt = new RTimer({ routes: rtimerRoute(rec) });
  // Default options: `precision: true` is what users write.
  rt.timer({ name: 'bench', interval: `${Math.round(job.intervalNs / 1000)}us`, mode: 'inline', precision })
    .exec('timer=bench;route=R');
  await rt.start();
  await sleep(job.durationMs);
  await rt.stop();
  const s = rt.stats()[0];
  return { countedMissed: s.missed, note: precision ? `lead ${(s.native!.leadNs / 1000).toFixed(0)} µs` : undefined };
}

async function rtimerProcess(job: ChildJob, rec: Recorder) {
  const out = join(tmpdir(), `rtimer-bench-${process.pid}`);
  process.env.RTIMER_BENCH_OUT = out;
  const rt = new RTimer({ routes: new URL('./routes-bench.mjs', import.meta.url) });
  rt.timer({ name: 'bench', interval: `${Math.round(job.intervalNs / 1000)}us`, mode: 1 }).exec('timer=bench;route=BENCH');
  await rt.start();
  const pid = rt.stats()[0].workers![0].pid!;
  const cpu0 = procCpuNs(pid);
  await sleep(job.durationMs);
  const workerCpu = procCpuNs(pid) - cpu0;
  await rt.stop();
  const file = readdirSync(tmpdir()).find((f) => f.startsWith(`rtimer-bench-${process.pid}.`))!;
  const data = JSON.parse(readFileSync(join(tmpdir(), file), 'utf8')) as { ticks: number[]; late: number[]; engine: number[] };
  rmSync(join(tmpdir(), file));
  data.ticks.forEach((t, i) => rec.push(t, data.late[i], data.engine[i]));
  return { extraCpuNs: workerCpu, countedMissed: rt.stats()[0].missed };
}

async function setIntervalCandidate(job: ChildJob, rec: Recorder) {
  let k = 0;
  const t0 = hr();
  const iv = BigInt(job.intervalNs);
  const h = setInterval(() => { const now = hr(); k++; rec.record(k, now, t0 + BigInt(k) * iv); }, job.intervalNs / 1e6);
  await sleep(job.durationMs);
  clearInterval(h);
  return {};
}

async function setTimeoutCorrected(job: ChildJob, rec: Recorder) {
  const t0 = hr();
  const iv = BigInt(job.intervalNs);
  let k = 1;
  let stop = false;
  let handle: NodeJS.Timeout;
  const arm = () => {
    const wait = Number(t0 + BigInt(k) * iv - hr()) / 1e6;
    handle = setTimeout(fire, Math.max(0, wait));
  };
  const fire = () => {
    const now = hr();
    if (stop) return;
    // Re-targets the ideal time; a wake-up past one or more deadlines skips them.
    const due = t0 + BigInt(k) * iv;
    if (now < due) { arm(); return; }
    rec.record(k, now, due);
    k = Number((now - t0) / iv) + 1;
    arm();
  };
  arm();
  await sleep(job.durationMs);
  stop = true;
  clearTimeout(handle!);
  return {};
}

/**
 * nanotimer's own ideal time for the call it is making: it runs the task once
 * `hrtime(intervalT1) >= intervalTime · intervalCount`, and re-reads intervalT1 if it ever re-anchors.
 */
export function nanotimerDue(timer: Pick<NanoTimer, 'intervalT1' | 'intervalCount' | 'intervalTime'>): bigint {
  const [s, ns] = timer.intervalT1!;
  return BigInt(s) * 1_000_000_000n + BigInt(ns) + BigInt(timer.intervalTime) * BigInt(timer.intervalCount);
}

async function nanotimer(job: ChildJob, rec: Recorder) {
  const timer = new NanoTimer();
  timer.setInterval(() => { const now = hr(); rec.record(timer.intervalCount, now, nanotimerDue(timer)); }, '', `${Math.round(job.intervalNs / 1000)}u`);
  await sleep(job.durationMs);
  timer.clearInterval();
  return {};
}

async function busySpin(job: ChildJob, rec: Recorder) {
  // Owns the event loop in slices of 50 ms so the run can end; between slices it yields once.
  const t0 = hr();
  const iv = BigInt(job.intervalNs);
  const end = t0 + BigInt(job.durationMs) * 1_000_000n;
  let k = 1;
  while (hr() < end) {
    const slice = hr() + 50_000_000n;
    let now = hr();
    while (now < slice && now < end) {
      const due = t0 + BigInt(k) * iv;
      if (now >= due) { rec.record(k, now, due); k = Number((now - t0) / iv) + 1; }
      now = hr();
    }
    await new Promise((r) => setImmediate(r));
  }
  return {};
}

interface Outcome { countedMissed?: number; note?: string; extraCpuNs?: number; orderless?: boolean }
interface Candidate {
  run(job: ChildJob, rec: Recorder): Promise<Outcome>;
  /** Calls due in the run, where it is not durationMs / intervalNs (many timers). */
  expected?(job: ChildJob): number;
}

const perTimer = (job: ChildJob) => Math.floor((job.durationMs * 1e6) / job.intervalNs);
const many = (job: ChildJob) => SCALE_TIMERS * perTimer(job);
export const MANY_TIMERS = 10_000;

const CANDIDATES: Record<string, Candidate> = {
  'rtimer': { run: (j, r) => rtimerInline(j, r, false) },
  'rtimer-precision': { run: (j, r) => rtimerInline(j, r, true) },
  'rtimer-process': { run: rtimerProcess },
  'setInterval': { run: setIntervalCandidate },
  'setTimeout-corrected': { run: setTimeoutCorrected },
  'nanotimer': { run: nanotimer },
  'busy-spin': { run: busySpin },
  'rtimer-scale': { run: rtimerScale, expected: (j) => scaleExpected(j.durationMs) },
  'setInterval-scale': { run: setIntervalScale, expected: (j) => scaleExpected(j.durationMs) },
  'rtimer-1000-in-phase': { run: (j, r) => rtimerMany(j, r, false), expected: many },
  'rtimer-1000-spread': { run: (j, r) => rtimerMany(j, r, true), expected: many },
  'rtimer-10000-spread': { run: (j, r) => rtimerMany(j, r, true, MANY_TIMERS), expected: (j) => MANY_TIMERS * perTimer(j) },
  'rtimer-10000-in-phase': { run: (j, r) => rtimerMany(j, r, false, MANY_TIMERS), expected: (j) => MANY_TIMERS * perTimer(j) },
};

export const CANDIDATE_NAMES = Object.keys(CANDIDATES);

export async function runJob(job: ChildJob): Promise<Trace> {
  const c = CANDIDATES[job.candidate];
  if (!c) throw new Error(`unknown candidate ${job.candidate}`);
  const expected = c.expected?.(job) ?? perTimer(job);
  const rec = new Recorder(expected);
  const closeRtp = job.rtpPort ? rtpSender(job.rtpPort, rec) : null;
  const busy = job.busy ? setInterval(() => spin(job.busy!.busyMs), job.busy.everyMs) : null;
  const cpu0 = process.cpuUsage();
  const t0 = hr();
  const extra = await c.run(job, rec);
  const wallNs = Number(hr() - t0);
  if (busy) clearInterval(busy);
  closeRtp?.();
  const cpu = process.cpuUsage(cpu0);
  return {
    candidate: job.candidate, intervalNs: job.intervalNs, durationMs: job.durationMs,
    // Ticks of many timers interleave: no tick order to read interval deviation or a time axis from.
    ticks: extra.orderless ? [] : rec.ticks, lateNs: rec.late, engineLateNs: rec.engine, expected,
    cpuNs: (cpu.user + cpu.system) * 1000 + (extra.extraCpuNs ?? 0), wallNs,
    countedMissed: extra.countedMissed, note: extra.note,
  };
}

// Only when forked by main.ts: the smoke test imports this module to call runJob directly.
if (process.send && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.once('message', async (job: ChildJob) => {
    try {
      process.send!({ ok: true, trace: await runJob(job) }, () => process.exit(0));
    } catch (err) {
      process.send!({ ok: false, error: (err as Error).stack ?? String(err) }, () => process.exit(1));
    }
  });
}
