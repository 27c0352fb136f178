// Bytes the library allocates on the V8 heap per route call, for an empty route on an inline timer.
// Usage: npm run bench:alloc [-- --ticks 20000]
// Each case runs in a child with a young generation large enough that no scavenge runs while it
// is measured (checked: the run is refused if one did), so heapUsed after − before is what the
// ticks allocated. The route allocates nothing itself.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const ticks = Number(arg('ticks', '20000'));
if (!(Number.isInteger(ticks) && ticks >= 1000 && ticks <= 1_000_000)) throw new Error(`--ticks ${arg('ticks')}: expected an integer from 1000 to 1000000`);

if (process.argv[2] === '--child') {
  const { RTimer } = await import('../dist/index.js');
  const { PerformanceObserver } = await import('node:perf_hooks');
  const [, , , interval, precision, routeKind] = process.argv;
  let n = 0;
  let before = 0;
  let done;
  const finished = new Promise((r) => { done = r; });
  const target = Number(process.argv[6]);
  const warm = 2000;
  const R = routeKind === 'touch'
    ? (_m, ctx) => { if (ctx.scheduled === 0n) n = -1e9; count(); }
    : () => { count(); };
  function count() {
    n++;
    if (n === warm) { globalThis.gc(); before = process.memoryUsage().heapUsed; }
    if (n === warm + target) done(process.memoryUsage().heapUsed);
  }
  const rt = new RTimer({ routes: { R } });
  rt.timer({ name: 't', interval, mode: 'inline', ...(precision === 'true' ? { precision: true } : {}) }).exec('timer=t;route=R');
  let gcs = 0;
  const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) if (n > warm) gcs++; });
  obs.observe({ entryTypes: ['gc'] });
  await rt.start();
  const after = await finished;
  await rt.stop();
  obs.disconnect();
  console.log(JSON.stringify({ bytesPerTick: (after - before) / target, gcs }));
  process.exit(0);
}

console.log(`node-rtimer heap allocation per route call, ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}; ${ticks} ticks per case`);
const self = fileURLToPath(import.meta.url);
for (const [interval, precision] of [['100us', false], ['100us', true]]) {
  for (const routeKind of ['empty', 'touch']) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--max-semi-space-size=512', '--min-semi-space-size=512', self, '--child', interval, String(precision), routeKind, String(ticks)],
      { encoding: 'utf8', timeout: 120_000 });
    const r = JSON.parse(out.trim().split('\n').pop());
    const why = r.gcs > 0 ? ` (${r.gcs} GCs ran: figure too low, use fewer --ticks)` : '';
    console.log(`${interval.padEnd(6)} ${precision ? 'precision' : 'default  '} route ${routeKind.padEnd(5)} ${r.bytesPerTick.toFixed(0).padStart(6)} B/call${why}`);
  }
}
