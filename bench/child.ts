// Runs one candidate timer in this process and sends its Trace to the parent over IPC.
import { createSocket } from 'node:dgram';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import NanoTimer from 'nanotimer';
import { RTimer } from '../dist/index.js';
import type { Trace } from './measure.js';

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

class Recorder {
  readonly ticks: number[] = [];
  readonly late: number[] = [];
  onTick: ((tick: number, lateNs: number) => void) | null = null;
  record(tick: number, lateNs: number) {
    this.ticks.push(tick);
    this.late.push(lateNs);
    this.onTick?.(tick, lateNs);
  }
}

/** RTP over UDP: 12-byte header (PT 0, 8 kHz clock) + 160 bytes whose first 8 hold the ideal send time. */
function rtpSender(port: number, rec: Recorder) {
  const sock = createSocket('udp4');
  const ssrc = 0x1234abcd;
  rec.onTick = (tick, lateNs) => {
    const pkt = Buffer.alloc(172);
    pkt[0] = 0x80;
    pkt[1] = 0;
    pkt.writeUInt16BE(tick & 0xffff, 2);
    pkt.writeUInt32BE((tick * 160) >>> 0, 4);
    pkt.writeUInt32BE(ssrc, 8);
    pkt.writeBigInt64BE(hr() - BigInt(Math.round(lateNs)), 12);
    sock.send(pkt, port, '127.0.0.1');
  };
  return () => sock.close();
}

async function rtimerScale(job: ChildJob, rec: Recorder) {
  const threads = () => readdirSync('/proc/self/task').length;
  const before = threads();
  const rt = new RTimer({ routes: { R(_m, ctx) { rec.record(ctx.tick, Number(hr() - ctx.scheduled)); } } });
  for (let i = 0; i < 1000; i++) {
    rt.timer({ name: `t${i}`, interval: `${scaleIntervalMs(i)}ms`, mode: 'inline' }).exec(`timer=t${i};route=R`);
  }
  await rt.start();
  const during = threads();
  await sleep(job.durationMs);
  await rt.stop();
  const missed = rt.stats().reduce((n, s) => n + s.missed, 0);
  return { countedMissed: missed, orderless: true, expected: scaleExpected(job.durationMs), note: `${during - before} thread(s) added for 1,000 timers` };
}

const scaleIntervalMs = (i: number) => 10 + Math.round((i * 990) / 999);
const scaleExpected = (durationMs: number) => Array.from({ length: 1000 }, (_, i) => Math.floor(durationMs / scaleIntervalMs(i))).reduce((a, b) => a + b, 0);

async function setIntervalScale(job: ChildJob, rec: Recorder) {
  const t0 = hr();
  const handles = Array.from({ length: 1000 }, (_, i) => {
    const iv = BigInt(scaleIntervalMs(i)) * 1_000_000n;
    let k = 0;
    return setInterval(() => { k++; rec.record(k, Number(hr() - (t0 + BigInt(k) * iv))); }, Number(iv / 1_000_000n));
  });
  await sleep(job.durationMs);
  handles.forEach(clearInterval);
  return { orderless: true, expected: scaleExpected(job.durationMs), note: '0 threads added (the event loop)' };
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
  const rt = new RTimer({ routes: { R(_m, ctx) { rec.record(ctx.tick, Number(hr() - ctx.scheduled)); } } });
  const budget = job.intervalNs >= 10_000_000 ? 0.03 : 0.1;
  rt.timer({ name: 'bench', interval: `${Math.round(job.intervalNs / 1000)}us`, mode: 'inline', precision: precision ? { budget } : false })
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
  const data = JSON.parse(readFileSync(join(tmpdir(), file), 'utf8')) as { ticks: number[]; late: number[] };
  rmSync(join(tmpdir(), file));
  data.ticks.forEach((t, i) => rec.record(t, data.late[i]));
  return { extraCpuNs: workerCpu, countedMissed: rt.stats()[0].missed };
}

async function setIntervalCandidate(job: ChildJob, rec: Recorder) {
  let k = 0;
  const t0 = hr();
  const iv = BigInt(job.intervalNs);
  const h = setInterval(() => { k++; rec.record(k, Number(hr() - (t0 + BigInt(k) * iv))); }, job.intervalNs / 1e6);
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
    rec.record(k, Number(now - due));
    k = Number((now - t0) / iv) + 1;
    arm();
  };
  arm();
  await sleep(job.durationMs);
  stop = true;
  clearTimeout(handle!);
  return {};
}

async function nanotimer(job: ChildJob, rec: Recorder) {
  const timer = new NanoTimer();
  let k = 0;
  const t0 = hr();
  const iv = BigInt(job.intervalNs);
  timer.setInterval(() => { k++; rec.record(k, Number(hr() - (t0 + BigInt(k) * iv))); }, '', `${Math.round(job.intervalNs / 1000)}u`);
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
      if (now >= due) { rec.record(k, Number(now - due)); k = Number((now - t0) / iv) + 1; }
      now = hr();
    }
    await new Promise((r) => setImmediate(r));
  }
  return {};
}

interface Outcome { countedMissed?: number; note?: string; extraCpuNs?: number; expected?: number; orderless?: boolean }

const CANDIDATES: Record<string, (job: ChildJob, rec: Recorder) => Promise<Outcome>> = {
  'rtimer': (j, r) => rtimerInline(j, r, false),
  'rtimer-precision': (j, r) => rtimerInline(j, r, true),
  'rtimer-process': rtimerProcess,
  'setInterval': setIntervalCandidate,
  'setTimeout-corrected': setTimeoutCorrected,
  'nanotimer': nanotimer,
  'busy-spin': busySpin,
  'rtimer-scale': rtimerScale,
  'setInterval-scale': setIntervalScale,
};

export async function runJob(job: ChildJob): Promise<Trace> {
  const run = CANDIDATES[job.candidate];
  if (!run) throw new Error(`unknown candidate ${job.candidate}`);
  const rec = new Recorder();
  const closeRtp = job.rtpPort ? rtpSender(job.rtpPort, rec) : null;
  const busy = job.busy ? setInterval(() => spin(job.busy!.busyMs), job.busy.everyMs) : null;
  const cpu0 = process.cpuUsage();
  const t0 = hr();
  const extra = await run(job, rec);
  const wallNs = Number(hr() - t0);
  if (busy) clearInterval(busy);
  closeRtp?.();
  const cpu = process.cpuUsage(cpu0);
  return {
    candidate: job.candidate, intervalNs: job.intervalNs, durationMs: job.durationMs,
    // Ticks of many timers interleave: no tick order to read interval deviation or a time axis from.
    ticks: extra.orderless ? [] : rec.ticks, lateNs: rec.late, expected: extra.expected,
    cpuNs: (cpu.user + cpu.system) * 1000 + (extra.extraCpuNs ?? 0), wallNs,
    countedMissed: extra.countedMissed, note: extra.note,
  };
}

if (process.send) {
  process.once('message', async (job: ChildJob) => {
    try {
      process.send!({ ok: true, trace: await runJob(job) }, () => process.exit(0));
    } catch (err) {
      process.send!({ ok: false, error: (err as Error).stack ?? String(err) }, () => process.exit(1));
    }
  });
}
