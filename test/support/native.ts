import { RTimer, type RouteContext, type TimerSpec } from '../../lib/index.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Blocks the event loop, as a slow synchronous route does. */
export function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

/** Runs one inline timer for `ms` with `route`, stops it, and returns what it saw. */
export async function runInline(spec: Omit<TimerSpec, 'name' | 'mode'>, route: (ctx: RouteContext) => unknown, ms: number) {
  const seen: RouteContext[] = [];
  const rt = new RTimer({ routes: { R: (_m: string, ctx: RouteContext) => { seen.push(ctx); return route(ctx); } } });
  rt.timer({ name: 't', mode: 'inline', ...spec }).exec('timer=t;route=R');
  const errors: Error[] = [];
  rt.on('error', (e) => errors.push(e));
  await rt.start();
  await sleep(ms);
  await rt.stop();
  return { seen, stats: rt.stats()[0], errors, rt };
}
