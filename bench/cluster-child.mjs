// One process of the cluster bench: runs the timers given in RTIMER_BENCH (JSON) for `durationMs`,
// measures lateness at route entry (hrtime on the route's first line minus ctx.scheduled) and prints
// { lateness: { p50, p99, max } (µs), executions, cpuMs } as JSON.
import { RTimer } from '../dist/index.js';

const cfg = JSON.parse(process.env.RTIMER_BENCH);
const late = [];
const rt = new RTimer({
  routes: { R: (_, ctx) => { const now = process.hrtime.bigint(); late.push(Number(now - ctx.scheduled) / 1000); } },
  ...(cfg.cluster ? { cluster: cfg.cluster } : {}),
});
for (const t of cfg.timers) rt.timer(t).exec({ timer: t.name, route: 'R' });
await rt.start();
await new Promise((r) => setTimeout(r, cfg.warmupMs ?? 1000));
late.length = 0;
const cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, cfg.durationMs));
const cpu = process.cpuUsage(cpu0);
const n = late.length;
await rt.stop();
late.sort((a, b) => a - b);
const q = (p) => (n ? late[Math.min(n - 1, Math.floor(p * n))] : NaN);
process.stdout.write(JSON.stringify({ executions: n, lateness: { p50: q(0.5), p99: q(0.99), max: late[n - 1] }, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\n');
