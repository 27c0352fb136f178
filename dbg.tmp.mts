import { RTimer } from './lib/index.js';
for (let n = 0; n < 4; n++) {
  const starts: string[] = [];
  let t0 = 0n;
  const rt = new RTimer({ routes: { R: (_m, ctx) => { if (!t0) t0 = ctx.scheduled - 20_000_000n; starts.push((Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)); } } });
  rt.timer({ name: 'eq', interval: '20ms', mode: 'inline' }).exec({ timer: 'eq', route: 'R' });
  await rt.start();
  await new Promise((r) => setTimeout(r, 250));
  await rt.stop();
  console.log(starts.join(' '));
}
