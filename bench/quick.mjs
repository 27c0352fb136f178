// Quick latency check of in-process native timers: 1 ms and 20 ms, default and precision mode.
// Usage: npm run bench:quick [-- --seconds 5]
import os from 'node:os';
import { RTimer } from '../dist/index.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const seconds = arg('seconds', 5);
const us = (ns) => (ns / 1000).toFixed(1);

async function measure(interval, precision) {
  const late = [];
  let first = null;
  let scheduleError = 0n;
  const intervalNs = BigInt(interval === '1ms' ? 1_000_000 : 20_000_000);
  const rt = new RTimer({ routes: { R(_m, ctx) {
    late.push(Number(ctx.started - ctx.scheduled));
    first ??= ctx.scheduled - BigInt(ctx.tick) * intervalNs;
    const err = ctx.scheduled - (first + BigInt(ctx.tick) * intervalNs);
    if ((err < 0n ? -err : err) > scheduleError) scheduleError = err < 0n ? -err : err;
  } } });
  rt.timer({ name: 't', interval, mode: 'inline', precision: precision ? { budget: interval === '1ms' ? 0.1 : 0.03 } : false })
    .exec('timer=t;route=R');
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await rt.start();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await rt.stop();
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(process.hrtime.bigint() - t0) / 1000;
  const s = rt.stats()[0];
  const tenth = Math.max(1, Math.floor(late.length / 10));
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
  return {
    timer: `${interval} ${precision ? 'precision' : 'default'}`,
    ticks: s.ticks, missed: s.missed,
    p50: us(s.lateness.percentile(50)), p99: us(s.lateness.percentile(99)), p999: us(s.lateness.percentile(99.9)), max: us(s.lateness.max),
    wakeP50: us(s.native.wake.percentile(50)), wakeP99: us(s.native.wake.percentile(99)), hopP50: us(s.native.hop.percentile(50)),
    drift: us(mean(late.slice(-tenth)) - mean(late.slice(0, tenth))), scheduleErrorNs: Number(scheduleError),
    lead: us(s.native.leadNs), spinCpu: (s.native.spinCpu * 100).toFixed(1), cpu: ((cpu.user + cpu.system) / wall * 100).toFixed(1),
  };
}

console.log(`node-rtimer quick latency: ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Linux ${os.release()}, Node ${process.version}, ${seconds}s per row`);
console.log('lateness = route start - ideal start (start + k*interval), µs; drift = mean lateness of the last 10% of ticks - of the first 10%');
const rows = [];
for (const [iv, p] of [['1ms', false], ['1ms', true], ['20ms', false], ['20ms', true]]) rows.push(await measure(iv, p));
console.table(rows.map((r) => ({
  timer: r.timer, ticks: r.ticks, missed: r.missed, 'p50 µs': r.p50, 'p99 µs': r.p99, 'p99.9 µs': r.p999, 'max µs': r.max,
  'wake p50/p99 µs': `${r.wakeP50}/${r.wakeP99}`, 'hop p50 µs': r.hopP50, 'drift µs': r.drift, 'sched err ns': r.scheduleErrorNs,
  'lead µs': r.lead, 'spin %': r.spinCpu, 'CPU %': r.cpu,
})));
