// Leak check: one million native ticks (and their route calls) with the resident set size sampled
// along the way; after warm-up it must stay flat. Usage: npm run bench:leak [-- --ticks 1000000]
import { RTimer } from '../dist/index.js';

const i = process.argv.indexOf('--ticks');
const target = i > 0 ? Number(process.argv[i + 1]) : 1_000_000;
const timers = 8; // 8 timers at 100 µs: ~80k ticks/s on the shared thread
let calls = 0;
const rt = new RTimer({ routes: { R(_m, ctx) { calls += ctx.msg.id > 0 ? 1 : 0; } } });
for (let t = 0; t < timers; t++) rt.timer({ name: `t${t}`, interval: '100us', mode: 'inline' }).exec(`timer=t${t};route=R`);
await rt.start();
const mb = () => (process.memoryUsage().rss / 2 ** 20).toFixed(1);
const samples = [];
const total = () => rt.stats().reduce((n, s) => n + s.ticks, 0);
await new Promise((resolve) => {
  const iv = setInterval(() => {
    const ticks = total();
    samples.push({ ticks, rssMB: Number(mb()) });
    process.stdout.write(`\r${ticks} ticks, rss ${mb()} MB   `);
    if (ticks >= target) { clearInterval(iv); resolve(); }
  }, 1000);
});
await rt.stop();
const stats = rt.stats();
const ticks = stats.reduce((n, s) => n + s.ticks, 0);
const missed = stats.reduce((n, s) => n + s.missed, 0);
const warm = samples[Math.min(samples.length - 1, 2)].rssMB;
const last = samples[samples.length - 1].rssMB;
const peak = Math.max(...samples.slice(2).map((s) => s.rssMB));
console.log(`\n${ticks} ticks (${missed} missed), ${calls} route calls; rss after warm-up ${warm} MB, peak ${peak} MB, end ${last} MB`);
console.log(last - warm < 10 ? 'flat: no growth beyond 10 MB after warm-up' : `GREW by ${(last - warm).toFixed(1)} MB`);
process.exitCode = last - warm < 10 ? 0 : 1;
