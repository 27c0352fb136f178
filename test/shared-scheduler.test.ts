import assert from 'node:assert/strict';
import { RTimerConfig } from '../lib/config/config.js';
import type { RTimerRouteError } from '../lib/errors.js';
import type { RouteContext } from '../lib/route/routes.js';
import { TimerRuntime } from '../lib/schedule/runtime.js';
import { SharedScheduler } from '../lib/schedule/shared-scheduler.js';
import { FakeClock } from './support/fake-clock.js';

const S = 1_000_000_000n;

function runtime(spec: string, routes: ((m: string, ctx: RouteContext) => unknown)[], errors: RTimerRouteError[] = []) {
  const cfg = new RTimerConfig().timer(spec);
  routes.forEach((_, i) => cfg.exec(`timer=t;route=r${i}`));
  return new TimerRuntime(cfg.resolve()[0], routes, 0, (e) => errors.push(e));
}

describe('SharedScheduler (mode 0)', () => {
  it('runs at exactly start + k*interval, first one interval after start, with no drift', () => {
    const clock = new FakeClock();
    const seen: RouteContext[] = [];
    const rt = runtime('name=t;interval=2', [(_, ctx) => { seen.push(ctx); }]);
    const s = new SharedScheduler(clock);
    s.add(rt);
    const start = clock.t;
    s.start();
    // Each wake comes 3 ms late; the schedule must not slide by those 3 ms.
    for (let i = 0; i < 1000; i++) clock.advance(2n * S, 3_000_000n);
    assert.equal(seen.length, 1000);
    seen.forEach((ctx, i) => {
      assert.equal(ctx.tick, i + 1);
      assert.equal(ctx.scheduled, start + BigInt(i + 1) * 2n * S);
      assert.equal(ctx.started - ctx.scheduled, 3_000_000n);
    });
    assert.deepEqual(rt.counters, { ticks: 1000, idle: 0, executions: 1000, missed: 0, paused: 0, errors: 0, routeCalls: 1000, triggered: 0 });
    assert.equal(rt.lateness.percentile(50), 3_000_000);
  });

  it('serves several timers on one Node timer, each on its own schedule', () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const a = runtime('name=t;interval=1', [() => { log.push('a'); }]);
    const b = runtime('name=t;interval=3', [() => { log.push('b'); }]);
    const s = new SharedScheduler(clock);
    s.add(a); s.add(b);
    s.start();
    clock.advance(6n * S);
    assert.equal(log.join(''), 'aaabaaab'); // at 3 s and 6 s both run, in declaration order
    assert.deepEqual([a.counters.executions, b.counters.executions], [6, 2]);
  });

  it('counts deadlines slept through as missed and runs once, keeping the phase', () => {
    const clock = new FakeClock();
    const ticks: number[] = [];
    const rt = runtime('name=t;interval=1', [(_, ctx) => { ticks.push(ctx.tick); }]);
    const s = new SharedScheduler(clock);
    s.add(rt);
    const start = clock.t;
    s.start();
    clock.advance(1n * S);
    clock.t = start + 4n * S + 500_000_000n; // the process stalled for 3.5 s
    clock.armed!.fn();
    clock.advance(1n * S);
    assert.deepEqual(ticks, [1, 4, 5]);
    assert.deepEqual([rt.counters.ticks, rt.counters.executions, rt.counters.missed], [5, 3, 2]);
  });

  it('skips and counts a tick whose async execution is still running; never overlaps', async () => {
    const clock = new FakeClock();
    let active = 0;
    let maxActive = 0;
    const release: (() => void)[] = [];
    const rt = runtime('name=t;interval=1', [async () => {
      active++; maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => release.push(r));
      active--;
    }]);
    const s = new SharedScheduler(clock);
    s.add(rt);
    s.start();
    clock.advance(1n * S);
    clock.advance(1n * S);
    clock.advance(1n * S);
    assert.deepEqual([rt.counters.ticks, rt.counters.executions, rt.counters.missed], [3, 1, 2]);
    release.shift()!();
    await rt.inFlight;
    clock.advance(1n * S);
    assert.equal(rt.counters.executions, 2);
    assert.equal(maxActive, 1);
    const stopped = s.stop();
    release.shift()!();
    await stopped;
    assert.equal(rt.counters.executions + rt.counters.missed, rt.counters.ticks);
  });

  it('isolates errors: a throwing or rejecting route is counted and reported, the next route and tick still run', async () => {
    const clock = new FakeClock();
    const errors: RTimerRouteError[] = [];
    const calls: string[] = [];
    const rt = runtime('name=t;interval=1', [
      () => { calls.push('throw'); throw new Error('boom'); },
      async () => { calls.push('reject'); throw new Error('async boom'); },
      () => { calls.push('ok'); },
    ], errors);
    const s = new SharedScheduler(clock);
    s.add(rt);
    s.start();
    clock.advance(1n * S);
    await rt.inFlight;
    clock.advance(1n * S);
    await rt.inFlight;
    assert.deepEqual(calls, ['throw', 'reject', 'ok', 'throw', 'reject', 'ok']);
    assert.equal(rt.counters.errors, 4);
    assert.deepEqual(errors.map((e) => [e.code, e.timer, e.route, (e.cause as Error).message]).slice(0, 2), [
      ['ERR_RTIMER_ROUTE_FAILED', 't', 'r0', 'boom'],
      ['ERR_RTIMER_ROUTE_FAILED', 't', 'r1', 'async boom'],
    ]);
    await s.stop();
  });

  it('re-arms when Node wakes it early, without running early', () => {
    const clock = new FakeClock();
    let runs = 0;
    const rt = runtime('name=t;interval=1', [() => { runs++; }]);
    const s = new SharedScheduler(clock);
    s.add(rt);
    s.start();
    const h = clock.armed!;
    clock.t = h.at - 400_000n; // 0.4 ms early, as libuv may do
    clock.armed = null;
    h.fn();
    assert.equal(runs, 0);
    assert.ok(clock.armed, 're-armed');
    clock.advance(1_000_000n);
    assert.equal(runs, 1);
  });

  it('stops arming after stop()', async () => {
    const clock = new FakeClock();
    const rt = runtime('name=t;interval=1', [() => undefined]);
    const s = new SharedScheduler(clock);
    s.add(rt);
    s.start();
    await s.stop();
    assert.equal(clock.armed, null);
    clock.advance(10n * S);
    assert.equal(rt.counters.ticks, 0);
  });

  it('reaches a deadline past 2^31-1 ms in steps Node accepts, on time and without busy polling', () => {
    const clock = new FakeClock();
    const ticks: bigint[] = [];
    const rt = runtime(`name=t;interval=${2 ** 32 - 1}`, [(_, ctx) => { ticks.push(ctx.scheduled); }]); // ~136 years
    const s = new SharedScheduler(clock);
    s.add(rt);
    const start = clock.t;
    s.start();
    const interval = BigInt(2 ** 32 - 1) * S;
    clock.advance(interval - 1n);
    assert.equal(ticks.length, 0);
    clock.advance(1n);
    assert.deepEqual(ticks, [start + interval]);
    assert.ok(clock.delays.every((ms) => ms >= 0 && ms <= 2 ** 31 - 1), 'every delay within setTimeout\'s range');
    // ~4.3e12 ms in steps of ~2.1e9 ms: about 2,000 wake-ups, not one per millisecond.
    const steps = Math.ceil((2 ** 32 - 1) * 1000 / (2 ** 31 - 1));
    assert.ok(clock.arms <= steps + 3, `${clock.arms} wake-ups`);
  });
});
