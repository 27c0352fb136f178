// Reference candidates outside Node: a C clock_nanosleep loop built here, cyclictest and Kamailio's
// own rtimer when they are installed. Each returns a Trace, or a reason it was skipped. The first two
// keep their native figures (a woken thread, no JS call): they are the floor, and labelled so.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Trace } from './measure.js';

export type External = { trace: Trace } | { skipped: string };

export const FLOOR_C = 'C clock_nanosleep (floor)';
export const FLOOR_CYCLICTEST = 'cyclictest (floor)';

const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const scratch = mkdtempSync(join(tmpdir(), 'rtimer-bench-ext-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

let floorBin: string | null | undefined;
function buildFloor(): string | null {
  if (floorBin !== undefined) return floorBin;
  const src = fileURLToPath(new URL('./wait-floor.c', import.meta.url));
  const bin = join(scratch, 'wait-floor');
  const r = spawnSync('cc', ['-O2', '-o', bin, src]);
  floorBin = r.status === 0 ? bin : null;
  return floorBin;
}

let stallsBin: string | null | undefined;

/**
 * The host's stalls, measured by bench/host-stalls.c: what a spinning thread loses to the (virtual)
 * CPU being taken away. No timer can start a route closer to its deadline than these allow.
 */
export function hostStalls(label: string, spinSeconds: number, intervalNs: number, rounds: number): Record<string, unknown> | { skipped: string } {
  if (stallsBin === undefined) {
    const bin = join(scratch, 'host-stalls');
    stallsBin = spawnSync('cc', ['-O2', '-o', bin, fileURLToPath(new URL('./host-stalls.c', import.meta.url))]).status === 0 ? bin : null;
  }
  if (!stallsBin) return { skipped: 'no C compiler (cc) to build bench/host-stalls.c' };
  const r = JSON.parse(execFileSync(stallsBin, [String(spinSeconds), String(intervalNs), String(rounds)], { encoding: 'utf8' })) as Record<string, number>;
  const us = (ns: number) => ns / 1000;
  return {
    when: label, 'gaps > 5 µs /s': r.over5PerS, 'gaps > 20 µs /s': r.over20PerS, 'gaps > 50 µs /s': r.over50PerS,
    'largest gap µs': us(r.largestNs), [`after a ${intervalNs / 1e6} ms sleep, largest gap in 500 µs of spin p50 µs`]: us(r.wakeGapP50Ns),
    'p99 µs': us(r.wakeGapP99Ns),
  };
}

export function nativeFloor(intervalNs: number, durationMs: number): External {
  const bin = buildFloor();
  if (!bin) return { skipped: 'no C compiler (cc) to build bench/wait-floor.c' };
  const count = Math.floor((durationMs * 1e6) / intervalNs);
  const t0 = process.hrtime.bigint();
  const out = execFileSync(bin, [String(intervalNs), String(count)], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wallNs = Number(process.hrtime.bigint() - t0);
  const lines = out.trim().split('\n');
  const cpuNs = Number(lines.pop()!.split(' ')[1]);
  const lateNs = lines.map(Number);
  return { trace: { candidate: FLOOR_C, intervalNs, durationMs, ticks: lateNs.map((_, i) => i + 1), lateNs, cpuNs, wallNs,
    note: 'floor: a native thread woken by clock_nanosleep, 1 ns slack, no JS' } };
}

export function cyclictest(intervalNs: number, durationMs: number): External {
  if (!which('cyclictest')) return { skipped: 'cyclictest not installed (Debian: rt-tests)' };
  const loops = Math.floor((durationMs * 1e6) / intervalNs);
  const r = spawnSync('cyclictest', ['-m', '-p', '80', '-i', String(Math.round(intervalNs / 1000)), '-l', String(loops), '-q', '-h', '20000', '-t', '1'],
    { encoding: 'utf8', timeout: durationMs + 30_000 });
  if (r.status !== 0) return { skipped: `cyclictest failed: ${r.stderr.trim().split('\n')[0]}` };
  // Histogram in µs buckets: expand to values so the same figures apply (µs resolution).
  const lateNs: number[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d{6}) (\d+)$/.exec(line);
    if (m) for (let i = 0; i < Number(m[2]); i++) lateNs.push(Number(m[1]) * 1000);
  }
  return { trace: { candidate: FLOOR_CYCLICTEST, intervalNs, durationMs, ticks: [], lateNs, cpuNs: 0, wallNs: 0,
    note: 'floor: SCHED_FIFO 80 native thread, no JS; µs histogram: no order, so no drift or interval deviation; CPU not measured' } };
}

const KAMAILIO_MODULES = ['/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/aarch64-linux-gnu/kamailio/modules', '/usr/lib/kamailio/modules']
  .find((d) => existsSync(join(d, 'rtimer.so')));

export async function kamailio(intervalNs: number, durationMs: number): Promise<External> {
  if (!which('kamailio') || !KAMAILIO_MODULES) return { skipped: 'kamailio (with rtimer.so) not installed' };
  const cfg = join(scratch, 'kamailio.cfg');
  writeFileSync(cfg, `#!KAMAILIO
debug=2
log_stderror=yes
children=1
listen=udp:127.0.0.1:0
mpath="${KAMAILIO_MODULES}/"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "rtimer.so"
modparam("rtimer", "timer", "name=bench;interval=${Math.round(intervalNs / 1000)}u;mode=1")
modparam("rtimer", "exec", "timer=bench;route=TICK")
route[TICK] { xlog("L_ALERT", "RTT $TV(Sn)\\n"); }
request_route { exit; }
`);
  const child = spawn('kamailio', ['-f', cfg, '-DD', '-E', '-m', '64', '-M', '8'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  await new Promise((r) => setTimeout(r, durationMs + 300));
  child.kill('SIGINT');
  await new Promise((r) => child.on('close', r));
  const all = [...err.matchAll(/RTT (\d+)\.(\d{6})/g)].map((m) => Number(m[1]) * 1e9 + Number(m[2]) * 1e3);
  const times = all.filter((t) => t < all[0] + durationMs * 1e6);
  if (times.length < 3) return { skipped: `kamailio produced no timer output: ${err.trim().split('\n').slice(-1)[0] ?? ''}` };
  // $TV is the wall clock at µs resolution; the ideal schedule is taken from the first execution.
  const lateNs = times.map((t, i) => t - (times[0] + i * intervalNs));
  return { trace: { candidate: 'kamailio rtimer', intervalNs, durationMs, ticks: lateNs.map((_, i) => i + 1), lateNs, cpuNs: 0, wallNs: 0,
    note: 'lateness vs its first execution (wall clock, µs); CPU not measured' } };
}
