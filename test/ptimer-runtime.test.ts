import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RTimer, type RouteContext, type TimerStateEvent } from '../lib/index.js';
import { RTimerError } from '../lib/errors.js';
import { SliceCursor, taskRange, validateSettings } from '../lib/schedule/slices.js';
import { FakeClock } from './support/fake-clock.js';
import { sleep } from './support/native.js';
import { runNode } from './support/run.js';

const S = 1_000_000_000n;
const FIXTURE = new URL('./fixtures/lifecycle/routes.mjs', import.meta.url).href;

type Seen = { on: string; tick: number; slice: number; range: readonly [number, number]; tasks: number; state: Record<string, unknown> };
const seen = (log: Seen[]) => (_m: string, ctx: RouteContext) => {
  log.push({ on: ctx.on, tick: ctx.tick, slice: ctx.slice, range: ctx.taskRange, tasks: ctx.tasks, state: ctx.state });
};

describe('ptimer slices (issue 11)', () => {
  it('covers every task exactly once over nslices consecutive ticks, from any first slice', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 300 }), fc.nat(), (ntasks, nslices, first) => {
      const c = new SliceCursor({ ntasks, nslices });
      c.set({ ntasks, nslices, slice: first % nslices });
      const hits = new Uint8Array(ntasks);
      for (let i = 0; i < nslices; i++) {
        const f = c.advance();
        if (i === 0) assert.equal(f.slice, first % nslices, 'the first tick takes the slice start left');
        assert.equal(f.tasks, f.taskRange[1] - f.taskRange[0]);
        for (let t = f.taskRange[0]; t < f.taskRange[1]; t++) hits[t]++;
      }
      assert.ok(hits.every((h) => h === 1));
      assert.equal(c.advance().slice, first % nslices, 'the round starts over');
    }), { numRuns: 300 });
  });

  it('is exact for 32-bit values whose products pass 2^53', () => {
    const max = 0xffff_ffff;
    assert.deepEqual(taskRange(max - 1, max, max), [max - 1, max]);
    assert.deepEqual(taskRange(3, max, 7), [Number((3n * BigInt(max)) / 7n), Number((4n * BigInt(max)) / 7n)]);
  });

  it('leaves types 0 and 1 on slice 0 with all their tasks', () => {
    for (const type of [0, 1] as const) {
      const c = new SliceCursor({ ntasks: 10, nslices: 5, type });
      for (let i = 0; i < 3; i++) assert.deepEqual(c.advance(), { slice: 0, nslices: 5, ntasks: 10, tasks: 10, taskRange: [0, 10] });
    }
    assert.equal(new SliceCursor({ ntasks: 10, nslices: 5, type: 2 }).advance().tasks, 2);
  });

  it('builds no view per tick: every tick of a slice shares one frozen view, new settings build new ones (issue 18)', () => {
    const c = new SliceCursor({ ntasks: 10, nslices: 3 });
    const round = () => [c.advance(), c.advance(), c.advance()];
    const first = round();
    const second = round();
    for (let i = 0; i < 3; i++) {
      assert.equal(second[i], first[i], `slice ${i}: the same view on its next tick`);
      assert.ok(Object.isFrozen(first[i]) && Object.isFrozen(first[i].taskRange), 'shared, so frozen');
    }
    c.set({ ntasks: 20, nslices: 3, slice: 0 });
    const after = c.current();
    assert.notEqual(after, first[0]);
    assert.deepEqual(after.taskRange, [0, 6]);
    // Past the cached count, each tick builds its own (bounded memory for 2^32 slices).
    const wide = new SliceCursor({ ntasks: 10, nslices: 100_000 });
    assert.notEqual(wide.advance(), wide.advance());
  });

  it('checks what start sets as ptimer does, naming the value', () => {
    const where = 'start route "S" of timer "t"';
    assert.deepEqual(validateSettings({ ntasks: 0xffff_ffff, nslices: 3, slice: 2 }, where), { ntasks: 0xffff_ffff, nslices: 3, slice: 2 });
    const cases: [Record<'ntasks' | 'nslices' | 'slice', unknown>, string, RegExp][] = [
      [{ ntasks: 2 ** 32, nslices: 1, slice: 0 }, 'ERR_RTIMER_NTASKS_INVALID', /set ntasks to 4294967296/],
      [{ ntasks: -1, nslices: 1, slice: 0 }, 'ERR_RTIMER_NTASKS_INVALID', /ntasks to -1/],
      [{ ntasks: 1, nslices: 0, slice: 0 }, 'ERR_RTIMER_NSLICES_INVALID', /nslices to 0/],
      [{ ntasks: 1, nslices: 1.5, slice: 0 }, 'ERR_RTIMER_NSLICES_INVALID', /nslices to 1\.5/],
      [{ ntasks: 1, nslices: 4, slice: 4 }, 'ERR_RTIMER_SLICE_INVALID', /slice to 4: expected an integer 0\.\.3/],
      [{ ntasks: 1, nslices: 4, slice: '1' }, 'ERR_RTIMER_SLICE_INVALID', /slice to "1"/],
    ];
    for (const [v, code, message] of cases) {
      assert.throws(() => validateSettings(v, where), (e: RTimerError) => e.code === code && message.test(e.message) && e.message.includes(where));
    }
  });
});

describe('ptimer lifecycle, mode 0 (issue 11)', () => {
  function modeZero(routes: Record<string, (m: string, ctx: RouteContext) => unknown>, hooks: { start?: string; end?: string; tick?: string[] },
    extra: { ntasks?: number; nslices?: number } = {}) {
    const clock = new FakeClock();
    const rt = new RTimer({ routes, clock });
    rt.timer({ name: 't', interval: 2, mode: 0, ...extra });
    if (hooks.start) rt.exec({ timer: 't', route: hooks.start, on: 'start' });
    for (const r of hooks.tick ?? []) rt.exec({ timer: 't', route: r });
    if (hooks.end) rt.exec({ timer: 't', route: hooks.end, on: 'end' });
    const events: TimerStateEvent[] = [];
    const errors: Error[] = [];
    rt.on('timer-state', (e) => events.push(e));
    rt.on('error', (e) => errors.push(e));
    return { clock, rt, events, errors };
  }

  it('runs start once before the first tick (one interval later), keeps ctx.state, runs end at stop', async () => {
    const log: Seen[] = [];
    const { clock, rt } = modeZero({ S: seen(log), T: seen(log), E: seen(log) }, { start: 'S', tick: ['T'], end: 'E' });
    await rt.start();
    assert.deepEqual(log.map((l) => l.on), ['start']);
    clock.advance(2n * S - 1n);
    assert.equal(log.length, 1, 'no tick before one interval');
    clock.advance(4n * S + 1n);
    await rt.stop();
    assert.deepEqual(log.map((l) => `${l.on}${l.tick}`), ['start0', 'tick1', 'tick2', 'tick3', 'end0']);
    assert.ok(log.every((l) => l.state === log[0].state), 'one state object from start to end');
    assert.equal(rt.stats()[0].state, 'stopped');
  });

  it('a tick route returning -1 runs end and the timer stops ticking (ended)', async () => {
    const log: Seen[] = [];
    let n = 0;
    const { clock, rt, events } = modeZero({ T: (m, ctx) => { seen(log)(m, ctx); return ++n === 2 ? -1 : undefined; }, U: seen(log), E: seen(log) },
      { tick: ['T', 'U'], end: 'E' });
    await rt.start();
    clock.advance(10n * S);
    assert.deepEqual(log.map((l) => `${l.on}${l.tick}`), ['tick1', 'tick1', 'tick2', 'end0'], 'the rest of the -1 tick is skipped');
    assert.deepEqual(events, [{ timer: 't', from: 'running', to: 'ended', by: 'return' }]);
    assert.equal(rt.list()[0].state, 'ended');
    await rt.stop();
    assert.equal(log.filter((l) => l.on === 'end').length, 1, 'end runs once, not again at stop');
    const s = rt.stats()[0];
    assert.equal(s.ticks, 2);
    assert.equal(s.executions + s.missed + s.paused, s.ticks);
  });

  it('start returning -1 skips the loop and goes to end', async () => {
    const log: Seen[] = [];
    const { clock, rt } = modeZero({ S: (m, ctx) => { seen(log)(m, ctx); return -1; }, T: seen(log), E: seen(log) }, { start: 'S', tick: ['T'], end: 'E' });
    await rt.start();
    clock.advance(10n * S);
    await rt.stop();
    assert.deepEqual(log.map((l) => l.on), ['start', 'end']);
  });

  it('a failing start is counted and emitted, runs no loop and no end (ended)', async () => {
    const log: Seen[] = [];
    const { clock, rt, errors, events } = modeZero({ S: () => { throw new Error('no db'); }, T: seen(log), E: seen(log) },
      { start: 'S', tick: ['T'], end: 'E' });
    await rt.start();
    clock.advance(10n * S);
    assert.equal(rt.list()[0].state, 'ended');
    await rt.stop();
    assert.deepEqual(log, []);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /route "S" of timer "t" failed: no db/);
    assert.equal(rt.stats()[0].errors, 1);
    assert.deepEqual(events.map((e) => e.by), ['error']);
  });

  it('a start route that breaks its own ctx (a throwing accessor) fails like a throwing start: start(), trigger and the socket live on (issue 17)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown) => { unhandled.push(r); };
    process.on('unhandledRejection', onUnhandled);
    try {
      const breakCtx = (ctx: RouteContext) => Object.defineProperty(ctx, 'ntasks', { get() { throw new Error('broken ctx'); } });
      const log: Seen[] = [];
      const { clock, rt, errors, events } = modeZero({ S: (_m, ctx) => { breakCtx(ctx); },
        T: seen(log), E: seen(log) }, { start: 'S', tick: ['T'], end: 'E' });
      await rt.start();
      clock.advance(10n * S);
      assert.equal(rt.list()[0].state, 'ended');
      assert.equal(errors.length, 1);
      assert.equal((errors[0] as RTimerError).code, 'ERR_RTIMER_ROUTE_FAILED');
      assert.match(errors[0].message, /route "S" of timer "t" failed: broken ctx/);
      await rt.trigger('t', 'start');
      const { listen, ctl } = await import('../lib/ctl/index.js');
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const dir = mkdtempSync(`${tmpdir()}/rtimer-ctx-`);
      try {
        const server = await listen(rt, { path: `${dir}/c.sock` });
        const info = await ctl(server.path, 'rtimer.start', ['t']) as { state: string; counters: { errors: number } };
        assert.equal(info.state, 'ended');
        assert.equal(info.counters.errors, 3);
        await server.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await sleep(10);
      assert.deepEqual(unhandled, []);
      assert.equal(errors.length, 3);
      assert.deepEqual(log, [], 'neither loop nor end ran');
      assert.deepEqual(events.map((e) => e.by), ['error']);
      await rt.stop();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an async start route that breaks its ctx: counted and emitted, no uncaught exception (issue 17)', async () => {
    const { rt, errors } = modeZero({ A: async (_m, ctx) => {
      await sleep(1);
      Object.defineProperty(ctx, 'slice', { get() { throw new Error('broken later'); } });
    }, T: () => {} }, { start: 'A', tick: ['T'] });
    await rt.start();
    await rt.trigger('t', 'start');
    await sleep(10);
    assert.equal(rt.list()[0].state, 'ended');
    assert.deepEqual(errors.map((e) => e.message.replace(/.*failed: /, '')), ['broken later', 'broken later']);
    await rt.stop();
  });

  it('an end route that throws is counted and emitted like a tick route', async () => {
    const { rt, errors } = modeZero({ T: () => {}, E: () => { throw new Error('bye'); } }, { tick: ['T'], end: 'E' });
    await rt.start();
    await rt.stop();
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /route "E" of timer "t" failed: bye/);
    assert.equal(rt.stats()[0].errors, 1);
  });

  it('start may set ntasks, nslices and slice; the first tick takes that slice, the next ones move on', async () => {
    const log: Seen[] = [];
    const { clock, rt } = modeZero({ S: (_m, ctx) => { ctx.ntasks = 10; ctx.nslices = 4; ctx.slice = 2; }, T: seen(log) }, { start: 'S', tick: ['T'] });
    await rt.start();
    clock.advance(10n * S);
    await rt.stop();
    assert.deepEqual(log.map((l) => [l.slice, l.range]), [[2, [5, 7]], [3, [7, 10]], [0, [0, 2]], [1, [2, 5]], [2, [5, 7]]]);
  });

  it('a bad value set in start is an error naming it, and the loop does not run', async () => {
    const log: Seen[] = [];
    const { clock, rt, errors } = modeZero({ S: (_m, ctx) => { ctx.slice = 7; }, T: seen(log) }, { start: 'S', tick: ['T'] }, { nslices: 4 });
    await rt.start();
    clock.advance(10n * S);
    await rt.stop();
    assert.deepEqual(log, []);
    assert.equal(errors.length, 1);
    assert.equal(((errors[0] as Error & { cause: RTimerError }).cause).code, 'ERR_RTIMER_SLICE_INVALID');
    assert.match(errors[0].message, /set slice to 7/);
  });

  it('a timer with only start and end routes starts and ends', async () => {
    const log: Seen[] = [];
    const { clock, rt } = modeZero({ S: seen(log), E: seen(log) }, { start: 'S', end: 'E' });
    await rt.start();
    clock.advance(4n * S);
    await rt.stop();
    assert.deepEqual(log.map((l) => l.on), ['start', 'end']);
  });

  it('a missing start or end route fails start() naming it', async () => {
    const { rt } = modeZero({ T: () => {} }, { start: 'NOPE', tick: ['T'] });
    await assert.rejects(rt.start(), (e: RTimerError) => e.code === 'ERR_RTIMER_ROUTE_MISSING' && /route "NOPE" of timer "t"/.test(e.message));
  });
});

describe('ptimer lifecycle, inline (issue 11)', () => {
  it('start, state, slices, -1 to end and end at stop on the native engine', async function () {
    this.timeout(10000);
    const log: Seen[] = [];
    const rt = new RTimer({ routes: {
      S: (m, ctx) => { seen(log)(m, ctx); ctx.state.n = 0; ctx.slice = 1; },
      T: (m, ctx) => { seen(log)(m, ctx); ctx.state.n = (ctx.state.n as number) + 1; return ctx.state.n === 5 ? -1 : undefined; },
      E: seen(log),
    } });
    rt.timer({ name: 'i', interval: '10ms', mode: 'inline', ntasks: 9, nslices: 3 });
    rt.exec({ timer: 'i', route: 'S', on: 'start' }).exec({ timer: 'i', route: 'T' }).exec({ timer: 'i', route: 'E', on: 'end' });
    await rt.start();
    for (let i = 0; i < 300 && rt.list()[0].state !== 'ended'; i++) await sleep(10);
    await sleep(50);
    await rt.stop();
    assert.deepEqual(log.map((l) => l.on), ['start', 'tick', 'tick', 'tick', 'tick', 'tick', 'end']);
    assert.deepEqual(log.filter((l) => l.on === 'tick').map((l) => l.range), [[3, 6], [6, 9], [0, 3], [3, 6], [6, 9]]);
    assert.ok(log.every((l) => l.state === log[0].state));
    const s = rt.stats()[0];
    assert.equal(s.executions, 5);
    assert.equal(s.executions + s.missed + s.paused, s.ticks, JSON.stringify(s));
  });
});

describe('ptimer lifecycle, mode N (issue 11)', () => {
  it('start runs once per worker with its own state and slice; -1 ends that worker; end before onWorkerStop', async function () {
    this.timeout(20000);
    const rt = new RTimer({ routes: FIXTURE });
    rt.timer({ name: 'w', interval: '20ms', mode: 2, ntasks: 40, nslices: 20 });
    rt.exec({ timer: 'w', route: 'S', on: 'start' }).exec({ timer: 'w', route: 'T3' }).exec({ timer: 'w', route: 'E', on: 'end' });
    const msgs: Record<string, unknown>[] = [];
    const events: TimerStateEvent[] = [];
    rt.on('worker-message', (e) => msgs.push(e.message as Record<string, unknown>));
    rt.on('timer-state', (e) => events.push(e));
    await rt.start();
    for (let i = 0; i < 500 && events.length < 2; i++) await sleep(10);
    await rt.stop();
    for (const w of [0, 1]) {
      const mine = msgs.filter((m) => m.worker === w);
      assert.deepEqual(mine.map((m) => m.what), ['start', 'tick', 'tick', 'tick', 'end', 'onWorkerStop'], JSON.stringify(mine));
      const ticks = mine.filter((m) => m.what === 'tick');
      assert.deepEqual(ticks.map((m) => m.slice), [w * 10, w * 10 + 1, w * 10 + 2]);
      assert.deepEqual(ticks[0].range, [w * 20, w * 20 + 2]);
      assert.ok(mine.slice(0, 5).every((m) => m.id === mine[0].id), 'one state per worker from start to end');
    }
    assert.notEqual(msgs.find((m) => m.worker === 0)!.id, msgs.find((m) => m.worker === 1)!.id);
    assert.deepEqual(events.map((e) => [e.worker, e.to, e.by]).sort(), [[0, 'ended', 'return'], [1, 'ended', 'return']]);
    const s = rt.stats()[0];
    assert.equal(s.executions, 6);
    assert.equal(s.executions + s.missed + s.paused, s.ticks);
  });

  it('end runs at stop before onWorkerStop when no route returned -1', async function () {
    this.timeout(20000);
    const rt = new RTimer({ routes: FIXTURE });
    rt.timer({ name: 'w', interval: '20ms', mode: 1 });
    rt.exec({ timer: 'w', route: 'T' }).exec({ timer: 'w', route: 'E', on: 'end' });
    const msgs: Record<string, unknown>[] = [];
    rt.on('worker-message', (e) => msgs.push(e.message as Record<string, unknown>));
    await rt.start();
    await sleep(100);
    await rt.stop();
    const whats = msgs.map((m) => m.what);
    assert.deepEqual(whats.slice(-2), ['end', 'onWorkerStop']);
    assert.equal(whats.filter((w) => w === 'end').length, 1);
  });
});

describe('examples/call-rate.mjs (issue 11)', () => {
  it('shapes the queue to about 1,000 calls a second over 8 sliced workers', async function () {
    this.timeout(30000);
    const r = await runNode(['examples/call-rate.mjs'], { timeoutMs: 25000 });
    assert.equal(r.code, 0, r.stderr);
    const m = /per second: ([\d, ]+) \(limit 1000\)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const seconds = m[1].split(',').map((x) => Number(x.trim()));
    // Orders of magnitude: never far above the limit, and most of it delivered in a full second.
    assert.ok(Math.max(...seconds) <= 1300, r.stdout);
    assert.ok(Math.max(...seconds) >= 500, r.stdout);
  });
});
