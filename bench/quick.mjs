// Quick latency check of in-process native timers: 1 ms and 20 ms, default and precision mode.
// Usage: npm run bench:quick [-- --seconds 5]
// Lateness is what the route sees: `process.hrtime.bigint()` on the route's first line minus
// `ctx.scheduled`. The engine's own figure (`ctx.started − ctx.scheduled`, the clock read on the line
// before the route is called) is printed beside it, so the cost of reaching the route is visible.
// Default options (`precision: true`).
import os from 'node:os';
import hdr from 'hdr-histogram-js';
import { RTimer } from '../dist/index.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const seconds = arg('seconds', 5);
if (!(seconds > 0)) throw new Error(`--seconds ${process.argv[process.argv.indexOf('--seconds') + 1]}: expected a number > 0`);
const hr = process.hrtime.bigint;
const us = (ns) => (ns / 1000).toFixed(1);

function histogram(values) {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 1e12, numberOfSignificantValueDigits: 3 });
  for (const v of values) h.recordValue(Math.max(0, Math.round(v)));
  return h;
}

async function measure(interval, precision) {
  const intervalNs = BigInt(interval === '1ms' ? 1_000_000 : 20_000_000);
  // Preallocated, so the route's only work after its timestamp is two subtractions and two stores.
  const capacity = Math.ceil((seconds * 1e9 * 1.25) / Number(intervalNs)) + 1024;
  const route = new Float64Array(capacity);
  const engine = new Float64Array(capacity);
  const scheduled = new BigInt64Array(capacity);
  const ticks = new Float64Array(capacity);
  let n = 0;
  const rt = new RTimer({ routes: { R(_m, ctx) {
    const now = hr();
    if (n === capacity) return;
    route[n] = Number(now - ctx.scheduled);
    engine[n] = Number(ctx.started - ctx.scheduled);
    scheduled[n] = ctx.scheduled;
    ticks[n++] = ctx.tick;
  } } });
  rt.timer({ name: 't', interval, mode: 'inline', precision })
    .exec('timer=t;route=R');
  const cpu0 = process.cpuUsage();
  const t0 = hr();
  await rt.start();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await rt.stop();
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(hr() - t0) / 1000;
  const s = rt.stats()[0];

  // The schedule itself: every deadline on first + k·interval, whatever the lateness.
  let scheduleError = 0n;
  const first = n ? scheduled[0] - BigInt(ticks[0]) * intervalNs : 0n;
  for (let i = 0; i < n; i++) {
    const err = scheduled[i] - (first + BigInt(ticks[i]) * intervalNs);
    if ((err < 0n ? -err : err) > scheduleError) scheduleError = err < 0n ? -err : err;
  }
  const late = route.subarray(0, n);
  const tenth = Math.max(1, Math.floor(n / 10));
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
  const r = histogram(late);
  const e = histogram(engine.subarray(0, n));
  const pair = (p) => `${us(r.getValueAtPercentile(p))} / ${us(e.getValueAtPercentile(p))}`;
  return {
    timer: `${interval} ${precision ? 'precision' : 'default'}`,
    ticks: s.ticks, missed: s.missed,
    'p50 µs route / engine': pair(50), 'p99 µs route / engine': pair(99), 'p99.9 µs route / engine': pair(99.9),
    'max µs route / engine': `${us(r.maxValue)} / ${us(e.maxValue)}`,
    'drift µs': us(mean(late.slice(-tenth)) - mean(late.slice(0, tenth))), 'sched err ns': Number(scheduleError),
    'wake p50/p99 µs': `${us(s.native.wake.percentile(50))}/${us(s.native.wake.percentile(99))}`, 'hop p50 µs': us(s.native.hop.percentile(50)),
    'lead µs': us(s.native.leadNs), 'spin %': (s.native.spinCpu * 100).toFixed(1), 'CPU %': ((cpu.user + cpu.system) / wall * 100).toFixed(1),
  };
}

console.log(`node-rtimer quick latency: ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Linux ${os.release()}, Node ${process.version}, ${seconds}s per row`);
console.log('route = route entry: hrtime on the route\'s first line - ctx.scheduled (what the route sees); ' +
  'engine = ctx.started - ctx.scheduled (the engine\'s own figure, the clock read on the line before the route); µs');
console.log('drift = mean route lateness of the last 10% of ticks - of the first 10%; sched err = largest |ctx.scheduled - (first + k*interval)|');
const rows = [];
for (const [iv, p] of [['1ms', false], ['1ms', true], ['20ms', false], ['20ms', true]]) rows.push(await measure(iv, p));
console.table(rows);
