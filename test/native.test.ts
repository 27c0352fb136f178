import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { RTimer, capabilities, now, type RouteContext } from '../lib/index.js';
import { binding } from '../lib/native/binding.js';
import { busy, runInline, sleep } from './support/native.js';

const MS = 1_000_000n;

/** A route that blocks for `ms` once, at the first tick from 20 on (a busy machine may skip tick 20 itself). */
/**
 * A route that blocks once for `ms`, on the first tick from 20 on that starts within 0.3 ms of its
 * deadline: no later tick is due yet then, so what is late after the block is the block's doing
 * alone (on a loaded machine a tick can itself be a late catch-up, with older ticks still owed).
 */
function blockOnce(ms: number) {
  const block = {
    at: -1,
    route: (ctx: RouteContext) => {
      if (block.at < 0 && ctx.tick >= 20 && process.hrtime.bigint() - ctx.scheduled < 300_000n) { block.at = ctx.tick; busy(ms); }
    },
  };
  return block;
}

describe('native engine (mode inline)', () => {
  it('reads the same monotonic clock as process.hrtime.bigint()', () => {
    const a = process.hrtime.bigint();
    const b = now();
    const c = process.hrtime.bigint();
    assert.ok(a <= b && b <= c);
    // The default Linux build waits on timerfd; portable.test.ts runs these tests on the portable
    // build (RTIMER_TEST_ADDON) and says which wait it expects, proving the swap took effect.
    const expected = process.env.RTIMER_TEST_ADDON ? process.env.RTIMER_TEST_WAIT : process.platform === 'linux' ? 'timerfd' : undefined;
    if (expected) assert.equal(capabilities().wait, expected);
    assert.equal(capabilities().clock, 'monotonic');
  });

  it('ticks a 1 ms timer about 1000 times a second', async () => {
    const { stats } = await runInline({ interval: '1ms' }, () => undefined, 1000);
    assert.ok(stats.ticks > 500 && stats.ticks < 1100, `ticks ${stats.ticks}`);
    assert.ok(stats.executions > 400, `executions ${stats.executions}`);
  });

  it('schedules exactly start + k*interval: no drift', async () => {
    const { seen } = await runInline({ interval: '2ms' }, () => undefined, 400);
    assert.ok(seen.length > 50);
    const start = seen[0].scheduled - BigInt(seen[0].tick) * 2n * MS;
    for (const ctx of seen) {
      assert.equal(ctx.scheduled, start + BigInt(ctx.tick) * 2n * MS);
      assert.ok(ctx.started >= ctx.scheduled, 'never early');
    }
  });

  it('keeps stats consistent: executions + missed = ticks, histograms filled', async () => {
    const { stats } = await runInline({ interval: '1ms' }, () => undefined, 300);
    assert.equal(stats.executions + stats.missed, stats.ticks);
    assert.equal(stats.lateness.count, stats.executions);
    assert.ok(stats.native!.wake.count >= stats.executions);
    assert.equal(stats.native!.hop.count, stats.lateness.count + 0, 'one hop per delivery');
    assert.ok(stats.lateness.min >= 0 && stats.lateness.max >= stats.lateness.percentile(50));
    assert.equal(stats.duration.count, stats.executions);
    assert.equal(stats.native!.thread, 'shared');
    assert.deepEqual(stats.native!.refused, []);
  });

  it('skip: a blocking route makes later ticks missed, counted, and keeps the phase', async () => {
    const block = blockOnce(10);
    const { seen, stats } = await runInline({ interval: '1ms' }, block.route, 300);
    assert.ok(block.at >= 0, 'no tick from 20 on started within 0.3 ms of its deadline');
    const after = seen.findIndex((c) => c.tick === block.at) + 1;
    assert.ok(seen[after].tick >= block.at + 9, `next tick after the 10 ms block at ${block.at} was ${seen[after].tick}`);
    assert.ok(stats.missed >= 8, `missed ${stats.missed}`);
    assert.equal(stats.executions + stats.missed, stats.ticks);
    const start = seen[0].scheduled - BigInt(seen[0].tick) * MS;
    assert.equal(seen[after].scheduled, start + BigInt(seen[after].tick) * MS, 'phase kept');
  });

  it('burst: the newest late ticks (up to maxBurst) run back to back, older ones are counted missed', async () => {
    const block = blockOnce(10);
    const { seen, stats } = await runInline({ interval: '1ms', policy: 'burst', maxBurst: 4 }, block.route, 300);
    assert.ok(block.at >= 0, 'no tick from 20 on started within 0.3 ms of its deadline');
    const i = seen.findIndex((c) => c.tick === block.at);
    const burst = seen.slice(i + 1, i + 5).map((c) => c.tick);
    // Ten ticks fell due during the block; the window keeps the newest four (27..30 when nothing
    // else is late). Each catch-up waits one event-loop turn, and a tick that falls due meanwhile
    // slides the window on (on a busy machine a turn can take longer than the 1 ms interval).
    assert.ok(burst[0] >= block.at + 5, `the oldest late ticks were dropped: the burst started at ${burst[0]}`);
    assert.ok(burst[3] >= block.at + 9, `the window ends at the newest tick due after the 10 ms block, not at ${burst[3]}`);
    assert.ok(burst[3] - burst[0] < 10, `the owed ticks ran as a burst: ${burst}`);
    const start = seen[0].scheduled - BigInt(seen[0].tick) * MS;
    for (const c of seen) assert.equal(c.scheduled, start + BigInt(c.tick) * MS, 'tick and scheduled time agree');
    for (let k = 1; k < seen.length; k++) assert.ok(seen[k].tick > seen[k - 1].tick);
    assert.ok(stats.missed >= 4, `missed ${stats.missed}`);
    assert.equal(stats.executions + stats.missed, stats.ticks);
  });

  it('burst under sustained overload keeps tick labels truthful, counts the rest, and lets the event loop run', async () => {
    const t0 = performance.now();
    const { seen, stats } = await runInline({ interval: '1ms', policy: 'burst', maxBurst: 2 }, () => busy(2.5), 300);
    // Catch-up ticks go through the timer thread, so a 300 ms setTimeout is not starved for seconds.
    assert.ok(performance.now() - t0 < 1500, `300 ms run took ${performance.now() - t0} ms`);
    const start = seen[0].scheduled - BigInt(seen[0].tick) * MS;
    for (let k = 0; k < seen.length; k++) {
      assert.equal(seen[k].scheduled, start + BigInt(seen[k].tick) * MS);
      if (k) assert.ok(seen[k].tick > seen[k - 1].tick, `tick ${seen[k].tick} after ${seen[k - 1].tick}`);
    }
    assert.ok(stats.missed > 0 && stats.executions > 50);
    assert.equal(stats.executions + stats.missed, stats.ticks);
  });

  it('delay: a late tick runs when the route is free and the schedule re-anchors at that moment', async () => {
    const block = blockOnce(10);
    const { seen, stats } = await runInline({ interval: '1ms', policy: 'delay' }, block.route, 300);
    assert.ok(block.at >= 0, 'no tick from 20 on started within 0.3 ms of its deadline');
    const i = seen.findIndex((c) => c.tick === block.at);
    const [, late, next] = seen.slice(i, i + 3);
    assert.equal(late.tick, block.at + 1);
    assert.ok(late.started - late.scheduled > 5n * MS, 'the delayed tick ran late');
    assert.equal(next.tick, block.at + 2);
    const start = seen[0].scheduled - BigInt(seen[0].tick) * MS;
    assert.notEqual((next.scheduled - start) % MS, 0n, 'the schedule moved off the original grid');
    // Re-anchored when the route finished, just before the delayed tick was handed over: the next
    // deadline is one interval after that, less the hand-over time.
    assert.ok(next.scheduled - late.started > -MS && next.scheduled - late.started <= MS, String(next.scheduled - late.started));
    assert.ok(next.scheduled - late.scheduled > 10n * MS);
    assert.equal(stats.executions + stats.missed, stats.ticks);
  });

  it('never overlaps async routes; ticks while one is pending are counted missed', async () => {
    let active = 0;
    let most = 0;
    const { stats } = await runInline({ interval: '1ms' }, async () => {
      active++; most = Math.max(most, active);
      await sleep(3);
      active--;
    }, 300);
    assert.equal(most, 1);
    assert.ok(stats.missed > stats.executions, `missed ${stats.missed}, executions ${stats.executions}`);
    assert.equal(stats.executions + stats.missed, stats.ticks);
  });

  it('a throwing route does not stop the timer', async () => {
    const { stats, errors } = await runInline({ interval: '2ms' }, () => { throw new Error('boom'); }, 200);
    assert.ok(stats.executions > 20);
    assert.equal(stats.errors, stats.executions);
    assert.equal(errors.length, stats.executions);
    assert.match(errors[0].message, /route "R" of timer "t" failed: boom/);
  });

  it('precision mode wakes early and reports its lead and CPU, within the budget', async () => {
    const { stats } = await runInline({ interval: '1ms', precision: { budget: 0.1 } }, () => undefined, 600);
    const n = stats.native!;
    assert.ok(n.leadNs > 0 && n.leadNs <= 100_000, `lead ${n.leadNs}`);
    assert.ok(n.spinCpu > 0 && n.spinCpu <= 0.12, `spin cpu ${n.spinCpu}`);
    assert.ok(stats.lateness.percentile(50) < stats.native!.wake.percentile(50) + stats.native!.hop.percentile(50));
  });

  it('a real-time request that the system refuses still runs, and says what it got', async () => {
    const { stats } = await runInline({ interval: '2ms', priority: 10, schedPolicy: 'rr', cpus: [0] }, () => undefined, 200);
    const n = stats.native!;
    assert.equal(n.thread, 'own');
    assert.ok(stats.executions > 20);
    const said = [...n.applied, ...n.refused].join(' | ');
    assert.match(said, /SCHED_RR 10/);
    assert.match(said, /cpus=0/);
  });

  it('runs 1,000 timers on a bounded number of threads', async function () {
    if (process.platform !== 'linux') this.skip();
    const threads = () => readdirSync('/proc/self/task').length;
    const before = threads();
    let calls = 0;
    const rt = new RTimer({ routes: { R() { calls++; } } });
    for (let i = 0; i < 1000; i++) {
      rt.timer({ name: `t${i}`, interval: `${10 + (i % 991)}ms`, mode: 'inline' }).exec(`timer=t${i};route=R`);
    }
    await rt.start();
    const during = threads();
    await sleep(500);
    await rt.stop();
    assert.ok(during - before <= 1, `${during - before} threads added for 1,000 timers`);
    const ticks = rt.stats().reduce((n, s) => n + s.ticks, 0);
    assert.ok(ticks > 1000, `ticks ${ticks}`);
    assert.equal(calls, rt.stats().reduce((n, s) => n + s.executions, 0));
    // A thread that has been joined can still be listed for a moment while the kernel reaps it.
    for (let i = 0; i < 20 && threads() !== before; i++) await sleep(50);
    assert.equal(threads(), before, 'the shared thread is joined when no timer uses it');
  });

  it('stop() interrupts the wait at once', async () => {
    const rt = new RTimer({ routes: { R() {} } }).timer({ name: 't', interval: 3600, mode: 'inline' }).exec('timer=t;route=R');
    await rt.start();
    const t0 = performance.now();
    await rt.stop();
    assert.ok(performance.now() - t0 < 500);
  });

  it('refuses a 1 ms timer given closures without mode inline, pointing to both ways out', async () => {
    const rt = new RTimer({ routes: { R() {} } }).timer('name=t;interval=1000u').exec('timer=t;route=R');
    await assert.rejects(rt.start(), (err: Error & { code: string }) =>
      err.code === 'ERR_RTIMER_ROUTES_NOT_MODULE' && /module/.test(err.message) && /mode: 'inline'/.test(err.message));
  });
});

describe('NativeTimer abuse', () => {
  const { NativeTimer } = binding;

  it('throws TypeErrors for bad arguments, never crashes', () => {
    assert.throws(() => new (NativeTimer as never as new () => unknown)(), TypeError);
    assert.throws(() => new NativeTimer({} as never, () => false), TypeError);
    assert.throws(() => new NativeTimer({ name: 'x', intervalNs: 10 }, () => false), /intervalNs/);
    assert.throws(() => new NativeTimer({ name: 'x', intervalNs: NaN }, () => false), /intervalNs/);
    assert.throws(() => new NativeTimer({ name: 'x', intervalNs: 1e6, policy: 'x' as never }, () => false), /policy/);
    assert.throws(() => new NativeTimer({ name: 'x', intervalNs: 1e6, priority: 0 }, () => false), /priority/);
    assert.throws(() => new NativeTimer({ name: 'x', intervalNs: 1e6, precisionBudget: 3 }, () => false), /precisionBudget/);
    assert.throws(() => new NativeTimer({ name: 'x', intervalNs: 1e6 }, 'f' as never), TypeError);
    assert.throws(() => (NativeTimer as never as () => unknown)(), TypeError);
  });

  it('tolerates stop twice, stop before start, complete and ref before start; refuses start after stop', async () => {
    const t = new NativeTimer({ name: 'x', intervalNs: 1e6 }, () => false);
    t.complete();
    t.unref();
    assert.equal(t.hasRef(), false);
    t.ref();
    await t.stop();
    await t.stop();
    assert.throws(() => t.start(), /start\(\) after/);
    const u = new NativeTimer({ name: 'y', intervalNs: 1e6 }, () => false);
    u.start();
    assert.throws(() => u.start(), /start\(\) after/);
    assert.equal(u.hasRef(), true);
    await Promise.all([u.stop(), u.stop()]);
    assert.equal(u.hasRef(), false);
    u.complete();
    assert.equal(u.stats().executions + u.stats().missed, u.stats().ticks);
  });

  it('calls methods with a wrong this as TypeErrors', () => {
    const t = new NativeTimer({ name: 'x', intervalNs: 1e6 }, () => false);
    assert.throws(() => t.stats.call({} as never), TypeError);
  });
});
