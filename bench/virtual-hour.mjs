// How fast virtual time runs: the call-rate shaper of examples/ (8 inline timers × 100 ms × 80
// slices, 1,000 calls/s, plus a traffic timer) for an hour of virtual time on a VirtualClock.
// Prints the real time and the CPU time each hour took, median of --repeat runs, and the ratio of
// virtual to real time. Usage: node bench/virtual-hour.mjs [--repeat 5] [--hours 1]   (after `npm run compile`)
import os from 'node:os';
import { RTimer } from '../dist/index.js';
import { VirtualClock } from '../dist/testing/index.js';
import { callRateShaper } from '../examples/call-rate-shaper.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : dflt;
  if (!(v > 0)) throw new Error(`--${name}: expected a number > 0`);
  return v;
};
const repeat = arg('repeat', 5);
const hours = arg('hours', 1);

async function hour() {
  const clock = new VirtualClock();
  let delivered = 0;
  const shaper = callRateShaper({ deliver: () => { delivered++; } });
  const traffic = { TRAFFIC: (_m, ctx) => { if (ctx.tick % 600 < 400) shaper.enqueue(160); } };
  const rt = shaper.declare(new RTimer({ routes: { ...shaper.routes, ...traffic }, clock }));
  rt.timer({ name: 'traffic', interval: '100ms', mode: 'inline', phase: '50ms' }).exec({ timer: 'traffic', route: 'TRAFFIC' });
  await rt.start();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await clock.tick(`${hours}h`);
  const realMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const routeCalls = rt.stats().reduce((n, s) => n + s.routeCalls, 0);
  await rt.stop();
  return { realMs, cpuMs: (cpu.user + cpu.system) / 1000, routeCalls, delivered };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const runs = [];
for (let i = 0; i < repeat; i++) runs.push(await hour());
const real = median(runs.map((r) => r.realMs));
const cpu = median(runs.map((r) => r.cpuMs));
console.log(`machine: ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}`);
console.log(`${hours} h of virtual time (${runs[0].routeCalls} route calls, ${runs[0].delivered} calls delivered), median of ${repeat}:`);
console.log(`  real ${real.toFixed(0)} ms, CPU ${cpu.toFixed(0)} ms; virtual/real ${(hours * 3_600_000 / real).toFixed(0)}×`);
console.log(`  each run, real ms: ${runs.map((r) => r.realMs.toFixed(0)).join(' ')}`);
