import assert from 'node:assert/strict';
import { capabilities } from '../lib/index.js';
import { binding, type NativeTimer } from '../lib/native/binding.js';
import { busy, runInline, sleep } from './support/native.js';
import { waitFor } from './support/procs.js';

// The event-loop wake needs a timerfd: the Linux build. The portable build runs timers on threads.
const onLinux = capabilities().wait === 'timerfd';

describe('event-loop wake (default timers, no thread)', () => {
  before(function () { if (!onLinux) this.skip(); });

  it('wakes default and precision inline timers from the event loop, and anything that needs a thread from one', async () => {
    for (const spec of [{}, { precision: true }]) {
      const { stats } = await runInline({ interval: '2ms', ...spec }, () => undefined, 200);
      assert.equal(stats.native!.wakeBy, 'loop', JSON.stringify(spec));
      assert.equal(stats.native!.thread, 'shared');
      assert.ok(stats.executions > 5, `executions ${stats.executions}`);
      assert.equal(stats.executions + stats.missed, stats.ticks);
    }
    for (const spec of [{ precision: true, thread: 'own' as const }, { thread: 'own' as const }, { cpus: [0] }]) {
      const { stats } = await runInline({ interval: '2ms', ...spec }, () => undefined, 50);
      assert.equal(stats.native!.wakeBy, 'thread', JSON.stringify(spec));
    }
  });

  it('runs 300 timers due at once in one batch per wake, every counter exact', async () => {
    const n = 300;
    const calls = new Array<number>(n).fill(0);
    const timers: NativeTimer[] = [];
    for (let i = 0; i < n; i++) {
      timers.push(new binding.NativeTimer({ name: `l${i}`, intervalNs: 5e6, wake: 'loop' }, () => { calls[i]++; return false; }));
    }
    const anchor = binding.now();
    for (const t of timers) t.start(anchor);
    // 40 wake-ups in 200 ms on a quiet machine; a loaded one may give the loop fewer turns, so the
    // run lasts until the batches are there (the claim is one batch per wake, not a rate).
    const total = () => calls.reduce((a, b) => a + b, 0);
    await sleep(200);
    await waitFor(() => total() > 6 * n, 10_000);
    await Promise.all(timers.map((t) => t.stop()));
    let executions = 0;
    timers.forEach((t, i) => {
      const s = t.stats();
      assert.equal(s.wakeBy, 'loop');
      assert.equal(s.executions, calls[i]);
      assert.equal(s.executions + s.missed, s.ticks);
      executions += s.executions;
    });
    const batches = timers[0].stats().batches;
    assert.ok(executions > 5 * n && batches * 20 < executions, `${batches} batches for ${executions} executions`);
  });

  it('burst: late ticks are caught up on later turns of the loop, counted exactly', async () => {
    let blocked = false;
    const { stats, seen } = await runInline({ interval: '1ms', policy: 'burst', maxBurst: 5 }, (ctx) => {
      if (!blocked && ctx.tick >= 20) { blocked = true; busy(12); }
    }, 200);
    assert.equal(stats.native!.wakeBy, 'loop');
    assert.equal(stats.executions + stats.missed, stats.ticks);
    assert.ok(stats.missed >= 5, `missed ${stats.missed}`);
    const ticks = seen.map((c) => c.tick);
    assert.deepEqual(ticks, [...ticks].sort((a, b) => a - b), 'in order');
  });

  it('refuses a wake option it does not know, and a dry-run estimate (prepareNs) that is not 0..1e9 ns', () => {
    assert.throws(() => new binding.NativeTimer({ name: 'x', intervalNs: 1e6, wake: 'soon' as never }, () => false), /wake/);
    for (const bad of [-1, 2e9, Number.NaN, '5' as never]) {
      assert.throws(() => new binding.NativeTimer({ name: 'x', intervalNs: 1e6, prepareNs: bad }, () => false), /prepareNs/, String(bad));
    }
    assert.doesNotThrow(() => new binding.NativeTimer({ name: 'x', intervalNs: 1e6, prepareNs: 800 }, () => false));
  });
});
