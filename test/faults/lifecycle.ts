// Fault-matrix cases for ptimer's lifecycle and the control verbs (issues 11 and 12): what start
// and end routes may throw, verbs racing each other and stop(), and stop() called from a start route.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { RTimer, type RTimerError, type RouteContext } from '../../lib/index.js';

const TIMED_OUT = Symbol('timed out');
async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((r) => { timer = setTimeout(() => r(TIMED_OUT), ms); });
  try { return await Promise.race([p, timeout]); } finally { clearTimeout(timer); }
}

function inline(routes: Record<string, (m: string, ctx: RouteContext) => unknown>, hooks: { start?: string; end?: string }) {
  const rt = new RTimer({ routes, stopGraceMs: 500 });
  rt.timer({ name: 'i', interval: '5ms', mode: 'inline' });
  if (hooks.start) rt.exec({ timer: 'i', route: hooks.start, on: 'start' });
  rt.exec({ timer: 'i', route: 'T' });
  if (hooks.end) rt.exec({ timer: 'i', route: hooks.end, on: 'end' });
  const errors: Error[] = [];
  rt.on('error', (e) => errors.push(e));
  return { rt, errors };
}

describe('faults: ptimer lifecycle and control verbs', () => {
  it('start and end routes that throw values with no string form, or reject, are counted and reported', async () => {
    const odd = Object.create(null);
    const getter = { get message(): string { throw new Error('no'); } };
    for (const [start, end] of [[() => { throw odd; }, () => { throw getter; }], [async () => { throw undefined; }, async () => Promise.reject(odd)]]) {
      const { rt, errors } = inline({ S: start, T: () => {}, E: end }, { start: 'S', end: 'E' });
      await rt.start();
      await sleep(20);
      assert.equal(rt.list()[0].state, 'ended');
      await rt.trigger('i', 'loop');
      await rt.stop();
      assert.equal(errors.length, 2, errors.join());
      assert.equal(rt.stats()[0].errors, 2);
    }
  });

  it('verbs fired together, many times, leave the counters balanced and stop() prompt', async function () {
    this.timeout(10000);
    let depth = 0;
    let overlap = false;
    const guard = async () => { if (depth++ > 0) overlap = true; await sleep(1); depth--; };
    const { rt, errors } = inline({ S: guard, T: guard, E: guard }, { start: 'S', end: 'E' });
    await rt.start();
    const verbs = ['pause', 'resume', 'start', 'loop', 'end', 'tick'] as const;
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      const v = verbs[i % verbs.length];
      calls.push(v === 'pause' ? rt.pause('i') : v === 'resume' ? rt.resume('i') : rt.trigger('i', v));
    }
    assert.notEqual(await within(Promise.all(calls), 5000), TIMED_OUT);
    assert.notEqual(await within(rt.stop(), 3000), TIMED_OUT);
    assert.deepEqual(errors, []);
    assert.equal(overlap, false, 'start, end and tick routes never overlap');
    const s = rt.stats()[0];
    assert.equal(s.executions + s.missed + s.paused, s.ticks);
    assert.equal(s.triggered, 10);
  });

  it('verbs racing stop() settle, and verbs after it are refused', async () => {
    const { rt } = inline({ S: async () => { await sleep(20); }, T: () => {}, E: async () => { await sleep(20); } }, { start: 'S', end: 'E' });
    await rt.start();
    const racing = [rt.trigger('i', 'start'), rt.trigger('i', 'end'), rt.pause('i')];
    const stopping = rt.stop();
    assert.notEqual(await within(Promise.allSettled([...racing, stopping]), 3000), TIMED_OUT);
    assert.equal(rt.state, 'stopped');
    await assert.rejects(rt.trigger('i', 'tick'), (e: RTimerError) => e.code === 'ERR_RTIMER_NOT_RUNNING');
  });

  it('a start route that awaits stop() does not wedge start() or stop()', async () => {
    let rt!: RTimer;
    const ended: string[] = [];
    rt = new RTimer({ routes: { S: async () => { await rt.stop(); }, T: () => {}, E: () => { ended.push('end'); } } });
    rt.timer({ name: 'i', interval: '5ms', mode: 'inline' });
    rt.exec({ timer: 'i', route: 'S', on: 'start' }).exec('timer=i;route=T').exec({ timer: 'i', route: 'E', on: 'end' });
    assert.notEqual(await within(rt.start().catch(() => undefined), 3000), TIMED_OUT);
    assert.notEqual(await within(rt.stop(), 3000), TIMED_OUT);
    assert.equal(rt.state, 'stopped');
    assert.deepEqual(ended, ['end']);
  });
});
