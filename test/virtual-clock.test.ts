import assert from 'node:assert/strict';
import { RTimer, RTimerConfigError, type RouteContext, type TimerSpec } from '../lib/index.js';
import { VirtualClock } from '../lib/testing/index.js';
import type { TimerStateEvent } from '../lib/events.js';
import FakeTimers from '@sinonjs/fake-timers';
import { runNode } from './support/run.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl } from '../lib/ctl/index.js';
import { waitFor } from './support/procs.js';

const MS = 1_000_000n;

/** One inline (or mode 0) timer with one route; returns what each call saw. */
async function runOne(spec: Partial<TimerSpec>, route: (ctx: RouteContext) => unknown, forMs: number) {
  const clock = new VirtualClock();
  const calls: { tick: number; scheduled: bigint; started: bigint }[] = [];
  const rt = new RTimer({ clock, routes: { R: (_m, ctx) => { calls.push({ tick: ctx.tick, scheduled: ctx.scheduled, started: ctx.started }); return route(ctx); } } });
  rt.timer({ name: 't', interval: '100ms', mode: 'inline', ...spec }).exec({ timer: 't', route: 'R' });
  await rt.start();
  await clock.tick(forMs);
  const [s] = rt.stats();
  await rt.stop();
  return { calls, s, clock };
}

describe('VirtualClock', () => {
  it('runs mode 0 and inline timers on virtual time: exact deadlines, zero lateness, in order', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    const rt = new RTimer({ clock, routes: {
      Z: (_m, ctx) => { seen.push(`z${ctx.tick}@${ctx.scheduled / MS}`); assert.equal(ctx.started, ctx.scheduled); },
      I: (_m, ctx) => { seen.push(`i${ctx.tick}@${ctx.scheduled / MS}`); assert.equal(ctx.started, ctx.scheduled); },
    } });
    rt.timer({ name: 'z', interval: 1, mode: 0 }).exec({ timer: 'z', route: 'Z' });
    rt.timer({ name: 'i', interval: '400ms', mode: 'inline' }).exec({ timer: 'i', route: 'I' });
    await rt.start();
    assert.equal(await clock.tick('3s'), 3000);
    // Due at once, the mode-0 timer (a Node timer) runs before the inline one (a timerfd the loop polls).
    assert.deepEqual(seen, ['i1@400', 'i2@800', 'z1@1000', 'i3@1200', 'i4@1600', 'z2@2000', 'i5@2000', 'i6@2400', 'i7@2800', 'z3@3000']);
    const [z, i] = rt.stats();
    assert.deepEqual([z.ticks, z.executions, z.missed, z.lateness.max], [3, 3, 0, 0]);
    assert.deepEqual([i.ticks, i.executions, i.missed, i.lateness.max], [7, 7, 0, 0]);
    // list(): next deadlines on the virtual wall clock (the epoch by default).
    assert.deepEqual(rt.list().map((t) => t.nextDeadline), [4000, 3200]);
    await rt.stop();
    assert.equal(rt.state, 'stopped');
  });

  it('skip: a route that overruns by 2.5 intervals misses one tick, runs the last due one late', async () => {
    const { calls, s } = await runOne({ policy: 'skip' }, (ctx) => { if (ctx.tick === 1) ctx.spend(250); }, 1000);
    assert.deepEqual(calls.map((c) => c.tick), [1, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual([calls[1].scheduled / MS, calls[1].started / MS], [300n, 350n]);
    assert.deepEqual([s.ticks, s.executions, s.missed], [10, 9, 1]);
    assert.equal(s.lateness.max, 50e6, 'lateness is the time the route spent past the next deadline');
    assert.equal(s.duration.max, 250e6);
  });

  it('burst: the missed ticks are caught up, one per loop turn, up to maxBurst', async () => {
    const { calls, s } = await runOne({ policy: 'burst' }, (ctx) => { if (ctx.tick === 1) ctx.spend(250); }, 1000);
    assert.deepEqual(calls.map((c) => [c.tick, c.scheduled / MS, c.started / MS]),
      [[1, 100n, 100n], [2, 200n, 350n], [3, 300n, 350n], [4, 400n, 400n], [5, 500n, 500n], [6, 600n, 600n], [7, 700n, 700n],
        [8, 800n, 800n], [9, 900n, 900n], [10, 1000n, 1000n]]);
    assert.deepEqual([s.ticks, s.executions, s.missed], [10, 10, 0]);
    const capped = await runOne({ policy: 'burst', maxBurst: 2 }, (ctx) => { if (ctx.tick === 1) ctx.spend(450); }, 1000);
    // Woken at 550 with ticks 2..5 due: the newest 2 owed after the one handed over, the oldest dropped.
    assert.deepEqual(capped.calls.map((c) => c.tick), [1, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual([capped.s.ticks, capped.s.executions, capped.s.missed], [10, 9, 1]);
  });

  it('delay: a late tick runs late and the schedule is re-anchored at its hand-over', async () => {
    const { calls, s } = await runOne({ policy: 'delay' }, (ctx) => { if (ctx.tick === 1) ctx.spend(250); }, 1000);
    assert.deepEqual(calls.map((c) => [c.tick, c.scheduled / MS, c.started / MS]),
      [[1, 100n, 100n], [2, 200n, 350n], [3, 450n, 450n], [4, 550n, 550n], [5, 650n, 650n], [6, 750n, 750n], [7, 850n, 850n],
        [8, 950n, 950n]]);
    assert.deepEqual([s.ticks, s.executions, s.missed], [8, 8, 0]);
  });

  it('an async route is awaited before time moves on: its awaits take no virtual time, its spend() does', async () => {
    const order: string[] = [];
    const { calls, s } = await runOne({ policy: 'skip' }, async (ctx) => {
      order.push(`in ${ctx.tick}`);
      await new Promise((r) => setTimeout(r, 5)); // real I/O: awaited, zero virtual time
      if (ctx.tick === 2) ctx.spend(120);
      order.push(`out ${ctx.tick}`);
    }, 500);
    assert.deepEqual(order, ['in 1', 'out 1', 'in 2', 'out 2', 'in 3', 'out 3', 'in 4', 'out 4', 'in 5', 'out 5']);
    // Tick 2 took 120 ms: tick 3 (due at 300) starts when it is done, at 320.
    assert.deepEqual(calls.map((c) => c.started / MS), [100n, 200n, 320n, 400n, 500n]);
    assert.deepEqual([s.ticks, s.executions, s.missed, s.lateness.max], [5, 5, 0, 20e6]);
  });

  it('hands timers due together over as one batch: all prepared before any runs, in the order armed', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    let rt: RTimer;
    rt = new RTimer({ clock, routes: {
      A: (_m, ctx) => { seen.push(`a${ctx.tick}:${ctx.slice}`); if (ctx.tick === 2) void rt.pause('b'); },
      B: (_m, ctx) => { seen.push(`b${ctx.tick}:${ctx.slice}`); },
    } });
    rt.timer({ name: 'a', interval: '100ms', mode: 'inline' }).exec({ timer: 'a', route: 'A' });
    rt.timer({ name: 'b', interval: '100ms', mode: 'inline', ntasks: 4, nslices: 4 }).exec({ timer: 'b', route: 'B' });
    await rt.start();
    await clock.tick(400);
    // b's tick 2 was prepared with a's (its slice advanced) and found paused when its turn came.
    assert.deepEqual(seen, ['a1:0', 'b1:0', 'a2:0', 'a3:0', 'a4:0']);
    await rt.resume('b');
    await clock.tick(100);
    assert.deepEqual(seen.slice(5), ['a5:0', 'b5:2']);
    const b = rt.stats()[1];
    assert.deepEqual([b.ticks, b.executions, b.paused], [5, 2, 3]);
    await rt.stop();
  });

  it('phase, stagger and align place inline deadlines as on the real engine; precision is a no-op', async () => {
    const clock = new VirtualClock({ start: new Date(1_000_250) }); // the wall clock is 250 ms into a second
    const first = new Map<string, bigint>();
    const rt = new RTimer({ clock, routes: { R: (_m, ctx) => { if (!first.has(ctx.timer)) first.set(ctx.timer, ctx.scheduled / MS); } } });
    for (const [name, extra] of [['p', { phase: '30ms' }], ['s0', { stagger: true }], ['s1', { stagger: true }],
      ['al', { align: 'realtime' }], ['pr', { precision: true }]] as const) {
      rt.timer({ name, interval: '100ms', mode: 'inline', ...extra }).exec({ timer: name, route: 'R' });
    }
    await rt.start();
    await clock.tick(300);
    // align: the wall clock's multiples of 100 ms are at monotonic 50, 150, ...
    assert.deepEqual(Object.fromEntries(first), { p: 130n, s0: 100n, s1: 150n, al: 50n, pr: 100n });
    assert.equal(rt.stats().find((s) => s.name === 'pr')!.lateness.max, 0);
    await rt.stop();
  });

  it('control verbs and events on virtual time: pause counts paused ticks, trigger runs start/tick/end', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    const rt = new RTimer({ clock, routes: {
      S: (_m, ctx) => { seen.push(`start@${clock.now()}`); ctx.state.n = 0; },
      L: (_m, ctx) => { seen.push(`loop${ctx.tick}@${clock.now()}`); },
      E: () => { seen.push(`end@${clock.now()}`); },
    } });
    const states: TimerStateEvent[] = [];
    rt.on('timer-state', (e) => states.push(e));
    rt.timer({ name: 't', interval: '1s', mode: 'inline' });
    rt.exec({ timer: 't', route: 'S', on: 'start' }).exec({ timer: 't', route: 'L' }).exec({ timer: 't', route: 'E', on: 'end' });
    await rt.start();
    await clock.tick('2s');
    await rt.pause('t');
    await clock.tick('3s');
    assert.equal(rt.list()[0].state, 'paused');
    await rt.resume('t');
    await rt.trigger('t', 'tick');
    await clock.tick('1s');
    await rt.trigger('t', 'end');
    await clock.tick('2s');
    await rt.trigger('t', 'start');
    await clock.tick('1s');
    assert.deepEqual(seen, ['start@0', 'loop1@1000', 'loop2@2000', 'loop0@5000', 'loop6@6000', 'end@6000', 'start@8000', 'loop9@9000']);
    const [s] = rt.stats();
    assert.deepEqual([s.ticks, s.executions, s.paused, s.triggered], [7, 4, 3, 1]);
    assert.deepEqual(states.map((e) => `${e.from}>${e.to}:${e.by}`), ['running>paused:pause', 'paused>running:resume',
      'running>ended:end', 'ended>running:start']);
    await rt.stop();
    assert.deepEqual(seen.at(-1), 'end@9000');
  });

  it('next() goes to the next deadline; runUntil() stops at the condition or names the virtual time reached', async () => {
    const clock = new VirtualClock({ start: 5_000_000_000n });
    let n = 0;
    const rt = new RTimer({ clock, routes: { R: () => { n++; } } });
    rt.timer({ name: 't', interval: '30ms', mode: 'inline' }).exec({ timer: 't', route: 'R' });
    await rt.start();
    assert.equal(await clock.next(), 5030);
    assert.equal(n, 1);
    assert.equal(await clock.runUntil(() => n >= 5), 5150);
    await assert.rejects(clock.runUntil(() => n >= 1000, { max: '1s' }),
      { code: 'ERR_RTIMER_VIRTUAL_MAX', message: /still false at virtual time 6150 ms \(1000 ms after it began, max 1000 ms\)/ });
    await rt.stop();
    await assert.rejects(clock.runUntil(() => false), /nothing left to run/);
  });

  it('rejects real-time-only options with an RTimerConfigError that names them', async () => {
    for (const extra of [{ thread: 'own' }, { priority: 50 }, { cpus: [0] }, { lockMemory: true }] as const) {
      const rt = new RTimer({ clock: new VirtualClock(), routes: { R: () => undefined } });
      rt.timer({ name: 'rt', interval: '10ms', mode: 'inline', ...extra }).exec({ timer: 'rt', route: 'R' });
      await assert.rejects(rt.start(), (err: unknown) => err instanceof RTimerConfigError && err.code === 'ERR_RTIMER_VIRTUAL_REALTIME' &&
        /timer "rt" asks for/.test(err.message) && err.message.includes(Object.keys(extra)[0]));
      assert.equal(rt.state, 'idle');
    }
  });

  it('refuses the cluster option (etcd, real time) with an RTimerConfigError when the RTimer is made', () => {
    assert.throws(() => new RTimer({ clock: new VirtualClock(), cluster: { etcd: { hosts: ['http://127.0.0.1:2379'] }, node: 'a' } }),
      (err: unknown) => err instanceof RTimerConfigError && err.code === 'ERR_RTIMER_VIRTUAL_CLUSTER' && /VirtualClock/.test(err.message));
  });

  it('tick() names a route that awaits something that never settles, after pendingMs of real time', async () => {
    const clock = new VirtualClock({ pendingMs: 50 });
    const rt = new RTimer({ clock, stopGraceMs: 500, routes: { HANG: () => new Promise(() => undefined), OK: () => undefined } });
    rt.timer({ name: 'h', interval: '100ms', mode: 'inline' }).exec({ timer: 'h', route: 'HANG' });
    await rt.start();
    await assert.rejects(clock.tick('1s'), { code: 'ERR_RTIMER_VIRTUAL_PENDING', message: /at virtual time 100 ms, route "HANG" of timer "h" still pending after 50 ms of real time/ });
    // stop() waits pendingMs, then lets the grace period run out on virtual time: abandoned, reported.
    const errors: Error[] = [];
    rt.on('error', (e) => errors.push(e));
    await rt.stop();
    assert.deepEqual(errors.map((e) => (e as { code?: string }).code), ['ERR_RTIMER_STOP_GRACE']);
    assert.equal(rt.stats()[0].abandoned, 1);
    assert.equal(clock.now(), 600, 'the grace period ran on virtual time');
  });

  it('start() rejects naming a start route that never settles, after pendingMs of real time; nothing is left running', async function () {
    this.timeout(5000); // without the guard start() would hang: fail, not hang
    for (const mode of [0, 'inline'] as const) {
      const clock = new VirtualClock({ start: 5_000_000n, pendingMs: 200 });
      const rt = new RTimer({ clock, routes: { HANG: () => new Promise(() => undefined), R: () => undefined } });
      rt.timer({ name: 'h', interval: mode === 0 ? 1 : '100ms', mode }).exec({ timer: 'h', route: 'HANG', on: 'start' }).exec({ timer: 'h', route: 'R' });
      await assert.rejects(rt.start(), { code: 'ERR_RTIMER_VIRTUAL_PENDING',
        message: /^start\(\): at virtual time 5 ms, route "HANG" of timer "h" still pending after 200 ms of real time/ });
      assert.equal(rt.state, 'idle');
      // Nothing runs and the dead start route does not hold tick() up.
      assert.equal(await clock.tick('1s'), 1005);
      await rt.stop();
    }
  });

  it('start() still waits for start routes that spend virtual time or await a settled promise', async function () {
    this.timeout(5000);
    const clock = new VirtualClock({ pendingMs: 200 });
    const ticks: string[] = [];
    const rt = new RTimer({ clock, routes: {
      SPEND: async (_m, ctx) => { await Promise.resolve(); ctx.spend('50ms'); },
      AWAIT: async () => { await Promise.resolve(42); },
      R: (_m, ctx) => { ticks.push(`${ctx.timer}${ctx.tick}@${ctx.scheduled / MS}`); },
    } });
    rt.timer({ name: 's', interval: '100ms', mode: 'inline' }).exec({ timer: 's', route: 'SPEND', on: 'start' }).exec({ timer: 's', route: 'R' });
    rt.timer({ name: 'a', interval: 1, mode: 0 }).exec({ timer: 'a', route: 'AWAIT', on: 'start' }).exec({ timer: 'a', route: 'R' });
    await rt.start();
    assert.equal(rt.state, 'running');
    assert.equal(clock.now(), 50, 'the start route spent 50 ms of virtual time');
    await clock.tick('1s');
    assert.deepEqual(ticks, ['s1@150', 's2@250', 's3@350', 's4@450', 's5@550', 's6@650', 's7@750', 's8@850', 's9@950', 'a1@1050', 's10@1050']);
    await rt.stop();
  });

  it('stop() from a route, and the control socket, work on virtual time', async () => {
    const clock = new VirtualClock({ start: new Date(1_000_000) });
    const dir = mkdtempSync(join(tmpdir(), 'rtimer-vclock-'));
    let rt: RTimer | undefined;
    try {
      const seen: number[] = [];
      rt = new RTimer({ clock, routes: { R: async (_m, ctx) => { seen.push(ctx.tick); if (ctx.tick === 3) await rt!.stop(); } } });
      rt.timer({ name: 't', interval: '100ms', mode: 'inline' }).exec({ timer: 't', route: 'R' });
      await rt.start();
      const path = join(dir, 'ctl.sock');
      await rt.listen({ path });
      await clock.tick(150);
      const list = await ctl(path, 'rtimer.list') as { name: string; nextDeadline: number; counters: { executions: number } }[];
      assert.deepEqual(list.map((t) => [t.name, t.nextDeadline, t.counters.executions]), [['t', 1_000_200, 1]]);
      await ctl(path, 'rtimer.pause', { timer: 't' });
      await clock.tick(100);
      await ctl(path, 'rtimer.continue', { timer: 't' });
      await clock.tick(1000);
      assert.deepEqual(seen, [1, 3]);
      assert.equal(rt.state, 'stopped');
      assert.deepEqual([rt.stats()[0].ticks, rt.stats()[0].paused], [3, 1]);
    } finally {
      await rt?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ctx.spend busy-waits in a real run', async () => {
    let took = 0n;
    const rt = new RTimer({ routes: { R: (_m, ctx) => { const t = process.hrtime.bigint(); ctx.spend('20ms'); took = process.hrtime.bigint() - t; } } });
    rt.timer({ name: 'r', interval: '10ms', mode: 'inline' }).exec({ timer: 'r', route: 'R' });
    await rt.start();
    while (took === 0n) await new Promise((r) => setTimeout(r, 5));
    await rt.stop();
    assert.ok(took >= 20n * MS && took < 2000n * MS, `spent ${took} ns`);
    assert.throws(() => new VirtualClock().spend('soon'), { code: 'ERR_RTIMER_SPEND_INVALID', message: /spend\("soon"\)/ });
  });

  it("clock.spend(d) in a route is the route's time, as ctx.spend(d); outside a route it moves the clock", async () => {
    const clock = new VirtualClock();
    const seen: bigint[] = [];
    const rt = new RTimer({ clock, routes: { R: (_m, ctx) => { seen.push(ctx.started); if (ctx.tick === 1) clock.spend('130ms'); } } });
    rt.timer({ name: 'r', interval: '100ms', mode: 'inline' }).exec({ timer: 'r', route: 'R' });
    await rt.start();
    await clock.tick(400);
    const [s] = rt.stats();
    await rt.stop();
    // Tick 2, due at 200 ms, starts at 230 when tick 1 ends; tick 3 is on time.
    assert.deepEqual(seen.map((t) => t / MS), [100n, 230n, 300n, 400n]);
    assert.equal(s.duration.max, 130e6);
    clock.spend(5);
    assert.equal(clock.now(), 405);
  });
});

describe('VirtualClock: mode=N simulated in this process', () => {
  const log: string[] = [];
  before(() => { (globalThis as { __vclockLog?: string[] }).__vclockLog = log; });
  after(() => { delete (globalThis as { __vclockLog?: string[] }).__vclockLog; });
  beforeEach(() => { log.length = 0; });

  it('runs each worker on its own routes module instance: ctx.worker, start/loop/end, slices, onWorkerStart/Stop', async () => {
    const clock = new VirtualClock();
    const rt = new RTimer({ clock, routes: new URL('./fixtures/virtual/worker-routes.mjs', import.meta.url) });
    rt.timer({ name: 'w', interval: '100ms', mode: 3, ntasks: 12, nslices: 6, stagger: true });
    rt.exec({ timer: 'w', route: 'START', on: 'start' }).exec({ timer: 'w', route: 'LOOP' }).exec({ timer: 'w', route: 'END', on: 'end' });
    const errors: Error[] = [];
    rt.on('error', (e) => errors.push(e));
    await rt.start();
    await clock.tick(200);
    assert.deepEqual(log, ['hello 0/3', 'hello 1/3', 'hello 2/3',
      // stagger: worker j at j × 100/3 ms; each its own slice cursor (start set slice = 2 × worker), its own module's count.
      'w0 t1 s0 [0,2] @100 calls=1', 'w1 t1 s2 [4,6] @133 calls=1', 'w2 t1 s4 [8,10] @166 calls=1',
      'w0 t2 s1 [2,4] @200 calls=2']);
    const [s] = rt.stats();
    assert.deepEqual([s.ticks, s.executions, s.workers!.map((w) => [w.worker, w.executions, w.state])],
      [4, 4, [[0, 2, 'running'], [1, 1, 'running'], [2, 1, 'running']]]);
    assert.deepEqual(rt.list()[0].nextDeadline, 233);
    await rt.pause('w');
    await clock.tick(300);
    assert.equal(rt.stats()[0].paused, 9);
    log.length = 0;
    await rt.stop();
    assert.deepEqual(log, ['end 0 seen 0,1', 'end 1 seen 2', 'end 2 seen 4', 'bye 0 after 2', 'bye 1 after 1', 'bye 2 after 1']);
    assert.deepEqual(errors, []);
    assert.equal(rt.stats()[0].state, 'stopped');
  });

  it("one worker's spend() holds up its own ticks only, as in a real forked run", async function () {
    this.timeout(20_000);
    const url = new URL('./fixtures/virtual/worker-routes.mjs', import.meta.url);
    const perWorker = (rt: RTimer) => rt.stats()[0].workers!.map((w) => ({ worker: w.worker, executions: w.executions, missed: w.missed }));
    // Worker 0's tick 1 (at 100 ms) spends 250 ms: under skip its tick 2 is missed and tick 3 runs late
    // at 350 ms, as the engine does inline; worker 1 runs every tick on time.
    const expected = [{ worker: 0, executions: 4, missed: 1 }, { worker: 1, executions: 5, missed: 0 }];
    for (const via of ['ctx', 'clock'] as const) {
      const clock = new VirtualClock();
      (globalThis as { __vclockClock?: VirtualClock }).__vclockClock = via === 'clock' ? clock : undefined;
      try {
        const rt = new RTimer({ clock, routes: url });
        rt.timer({ name: 'w', interval: '100ms', mode: 2, policy: 'skip' }).exec({ timer: 'w', route: 'OVERRUN_ON_0' });
        await rt.start();
        await clock.tick(500);
        assert.deepEqual(perWorker(rt), expected, `spend() through ${via}`);
        // Two workers due at one time run in the order their events were queued (two processes would race).
        assert.deepEqual(log.filter((l) => l.startsWith('w')), ['w0 t1', 'w1 t1', 'w1 t2', 'w1 t3', 'w0 t3', 'w1 t4', 'w0 t4', 'w1 t5', 'w0 t5'],
          `spend() through ${via}`);
        assert.equal(clock.now(), 500, "a worker's spend() leaves the shared clock where tick() took it");
        await rt.stop();
        log.length = 0;
      } finally {
        delete (globalThis as { __vclockClock?: VirtualClock }).__vclockClock;
      }
    }
    // The same timer forked for real: its workers log each call to a file. The busy-wait ends 50 ms
    // from any deadline, so only a stall of that size could change what runs.
    const dir = mkdtempSync(join(tmpdir(), 'rtimer-vclock-'));
    const file = join(dir, 'calls.log');
    writeFileSync(file, '');
    process.env.VCLOCK_LOG = file;
    const real = new RTimer({ routes: url });
    real.timer({ name: 'w', interval: '100ms', mode: 2, policy: 'skip' }).exec({ timer: 'w', route: 'OVERRUN_ON_0' });
    try {
      await real.start();
      const calls = () => readFileSync(file, 'utf8').split('\n').filter(Boolean);
      assert.ok(await waitFor(() => calls().includes('w0 t6') && calls().includes('w1 t6'), 10_000), calls().join());
      await real.stop();
      const upTo5 = (w: number) => calls().filter((l) => l.startsWith(`w${w} `)).map((l) => Number(l.split(' t')[1])).filter((t) => t <= 5);
      assert.deepEqual([upTo5(0), upTo5(1)], [[1, 3, 4, 5], [1, 2, 3, 4, 5]]);
      assert.deepEqual(perWorker(real).map((w) => w.missed), [1, 0]);
    } finally {
      delete process.env.VCLOCK_LOG;
      await real.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('start() rejects naming the worker whose start route never settles, and stops the others', async function () {
    this.timeout(5000); // without the guard start() would hang: fail, not hang
    const clock = new VirtualClock({ pendingMs: 200 });
    const rt = new RTimer({ clock, routes: new URL('./fixtures/virtual/worker-routes.mjs', import.meta.url) });
    rt.timer({ name: 'w', interval: '100ms', mode: 3 });
    rt.exec({ timer: 'w', route: 'START_HANGS_ON_1', on: 'start' }).exec({ timer: 'w', route: 'LOOP' }).exec({ timer: 'w', route: 'END', on: 'end' });
    const errors: Error[] = [];
    rt.on('error', (e) => errors.push(e));
    await assert.rejects(rt.start(), { code: 'ERR_RTIMER_VIRTUAL_PENDING', message: /^start\(\): at virtual time 0 ms, route "START_HANGS_ON_1" of timer "w" \(worker 1\) still pending/ });
    assert.equal(rt.state, 'idle');
    assert.deepEqual(log, ['hello 0/3', 'hello 1/3', 'end 0 seen ', 'bye 0 after 0'], 'worker 2 never began; worker 0 was stopped');
    assert.deepEqual(errors, []);
    assert.equal(await clock.tick('1s'), 1000);
    assert.equal(log.length, 4, 'nothing runs after the failed start');
    await rt.stop();
  });
});

describe('VirtualClock beside other test tools', () => {
  it('runs beside @sinonjs/fake-timers: neither clock moves the other; a route awaiting a faked timer is reported pending', async () => {
    const fake = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date', 'hrtime', 'performance', 'nextTick'] });
    try {
      const clock = new VirtualClock({ pendingMs: 50 });
      const seen: number[] = [];
      const fired: number[] = [];
      const rt = new RTimer({ clock, stopGraceMs: 100, routes: {
        R: async (_m, ctx) => { await Promise.resolve(); seen.push(ctx.tick); setTimeout(() => fired.push(ctx.tick), 10); },
        W: async () => { await new Promise((r) => setTimeout(r, 5)); },
      } });
      rt.timer({ name: 'r', interval: '100ms', mode: 'inline' }).exec({ timer: 'r', route: 'R' });
      rt.timer({ name: 'w', interval: '1s', mode: 'inline' }).exec({ timer: 'w', route: 'W' });
      await rt.start();
      await clock.tick(900);
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepEqual(fired, []);
      fake.tick(10);
      assert.deepEqual(fired, seen);
      assert.equal(Date.now(), 10);
      // W awaits the fake setTimeout: only the fake clock can settle it.
      await assert.rejects(clock.tick(100), { code: 'ERR_RTIMER_VIRTUAL_PENDING', message: /route "W" of timer "w"/ });
      fake.tick(5);
      await clock.tick(0);
      await rt.stop();
      assert.equal(rt.stats()[1].executions, 1);
    } finally {
      fake.uninstall();
    }
  });

  it('works from node:test, beside mock.timers (node --test)', async function () {
    this.timeout(60_000);
    const r = await runNode(['--test', 'test/fixtures/virtual/mock-timers.test.mjs'], { timeoutMs: 50_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /# pass 1\n# fail 0/);
  });

  it('examples/call-rate.test.mjs: the shaper checked over an hour of virtual time passes (node --test)', async function () {
    this.timeout(120_000);
    const r = await runNode(['--test', 'examples/call-rate.test.mjs'], { timeoutMs: 110_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /# pass 1\n# fail 0/);
  });
});
