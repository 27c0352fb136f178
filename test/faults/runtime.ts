// Fault-matrix cases for the in-process runtime (mode 0 and 'inline'): what routes and listeners
// may do to a timer, and stop() under each of them (see test/faults.test.ts).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInNewContext } from 'node:vm';
import { RTimer, type TimerSpec } from '../../lib/index.js';
import { realClock, type SchedulerClock } from '../../lib/schedule/shared-scheduler.js';
import { FakeClock } from '../support/fake-clock.js';
import { runNode } from '../support/run.js';
import { waitFor, workersOf } from '../support/procs.js';

const S = 1_000_000_000n;
const TIMED_OUT = Symbol('timed out');

/** The promise's value, or TIMED_OUT after `ms`: a wedge fails the test instead of hanging it. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((r) => { timer = setTimeout(() => r(TIMED_OUT), ms); });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` with mocha's uncaughtException handlers swapped for one that collects what is thrown. */
async function catchingUncaught<T>(fn: (caught: unknown[]) => Promise<T>): Promise<T> {
  const saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const caught: unknown[] = [];
  const collect = (err: unknown) => { caught.push(err); };
  process.on('uncaughtException', collect);
  try {
    return await fn(caught);
  } finally {
    process.off('uncaughtException', collect);
    for (const l of saved) process.on('uncaughtException', l);
  }
}

/** Polls until `cond` holds (a loaded machine may be slow to tick); fails after `ms`. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

/** Values a route may throw that have no string form, or a hostile one. */
function unprintable(): [string, unknown][] {
  const hostile = new Proxy({}, {
    getPrototypeOf() { throw new Error('trap'); },
    get() { throw new Error('trap'); },
    ownKeys() { throw new Error('trap'); },
  });
  return [
    ['null-prototype object', Object.create(null)],
    ['object with a Symbol message', { message: Symbol('m') }],
    ['Error with a Symbol message', Object.assign(new Error('x'), { message: Symbol('s') })],
    ['object with a throwing toString', { toString() { throw new Error('no string'); } }],
    ['hostile Proxy', hostile],
    ['undefined', undefined],
    ['Error from another realm', runInNewContext('new Error("elsewhere")')],
  ];
}

const inline = (name: string, interval = '10ms'): TimerSpec => ({ name, interval, mode: 'inline' });

describe('faults: route errors (mode 0 and inline)', () => {
  it('mode 0: any thrown or rejected value is described, counted once and emitted; stop() resolves', async () => {
    const clock = new FakeClock();
    const values = unprintable();
    const routes: Record<string, () => unknown> = {};
    for (const [i, [, v]] of values.entries()) {
      routes[`THROW${i}`] = () => { throw v; };
      routes[`REJECT${i}`] = async () => { throw v; };
    }
    const rt = new RTimer({ clock, routes });
    rt.timer('name=t;interval=1');
    for (const name of Object.keys(routes)) rt.exec(`timer=t;route=${name}`);
    const errors: Error[] = [];
    rt.on('error', (e) => errors.push(e));
    await rt.start();
    clock.advance(1n * S);
    await sleep(10);
    clock.advance(1n * S);
    assert.equal(await within(rt.stop(), 2000), undefined, 'stop() resolves');
    const n = Object.keys(routes).length * 2;
    assert.equal(errors.length, n);
    assert.equal(rt.stats()[0].errors, n);
    for (const e of errors) {
      assert.equal((e as Error & { code: string }).code, 'ERR_RTIMER_ROUTE_FAILED');
      assert.equal(typeof e.message, 'string');
      assert.match(e.message, /^route "(THROW|REJECT)\d" of timer "t" failed: ./);
    }
    assert.match(errors[0].message, /failed: \[Object: null prototype\] \{\}/);
    assert.ok(errors.some((e) => /failed: elsewhere$/.test(e.message)), 'an Error of another realm gives its message');
  });

  it('inline: an unprintable thrown value is counted once per call and emitted', async () => {
    const rt = new RTimer({ routes: { R() { throw Object.create(null); } } });
    rt.timer(inline('t')).exec('timer=t;route=R');
    const errors: Error[] = [];
    rt.on('error', (e) => errors.push(e));
    await rt.start();
    await until(() => rt.stats()[0].routeCalls >= 3, 'it ran 3 times');
    await rt.stop();
    const [s] = rt.stats();
    assert.equal(s.errors, s.routeCalls, 'one error per failing call, not two');
    assert.equal(errors.length, s.errors);
  });

  it('the stderr printer (no listener) survives unprintable errors', async () => {
    const clock = new FakeClock();
    const rt = new RTimer({ clock, routes: { R() { throw { toString() { throw new Error('no'); } }; } } });
    rt.timer('name=t;interval=1').exec('timer=t;route=R');
    const write = process.stderr.write;
    const lines: string[] = [];
    process.stderr.write = ((chunk: string) => { lines.push(String(chunk)); return true; }) as typeof write;
    try {
      await rt.start();
      clock.advance(1n * S);
    } finally {
      process.stderr.write = write;
    }
    await rt.stop();
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^rtimer: route "R" of timer "t" failed: /);
  });
});

describe('faults: a throwing error listener', () => {
  it('mode 0, sync route: surfaces as uncaught, and every mode-0 timer keeps ticking', async () => {
    await catchingUncaught(async (caught) => {
      const clock = new FakeClock();
      let good = 0;
      const rt = new RTimer({ clock, routes: { BAD() { throw new Error('route'); }, GOOD() { good++; } } });
      rt.timer('name=a;interval=1').exec('timer=a;route=BAD').timer('name=b;interval=1').exec('timer=b;route=GOOD');
      rt.on('error', () => { throw new Error('listener'); });
      await rt.start();
      for (let i = 0; i < 3; i++) clock.advance(1n * S);
      await sleep(10);
      assert.equal(good, 3, 'the other timer still runs');
      assert.deepEqual(rt.stats().map((s) => [s.name, s.executions, s.errors]), [['a', 3, 3], ['b', 3, 0]]);
      assert.equal(caught.length, 3);
      assert.equal((caught[0] as Error).message, 'listener');
      assert.equal(await within(rt.stop(), 2000), undefined);
    });
  });

  it('without an uncaughtException handler it ends the process, as any throwing EventEmitter listener would', async () => {
    const r = await runNode(['--input-type=module', '-e', `
import { RTimer } from './dist/index.js';
const rt = new RTimer({ routes: { R() { throw new Error('route'); } } });
rt.timer({ name: 't', interval: '10ms', mode: 'inline' }).exec('timer=t;route=R');
rt.on('error', () => { throw new Error('listener boom'); });
await rt.start();`], { timeoutMs: 10_000 });
    assert.deepEqual([r.code, r.signal], [1, null], r.stderr);
    assert.match(r.stderr, /Error: listener boom/);
  });

  it('inline, async route: the timer keeps ticking and stop() resolves', async () => {
    await catchingUncaught(async (caught) => {
      const rt = new RTimer({ routes: { async R() { throw new Error('route'); } } });
      rt.timer(inline('t')).exec('timer=t;route=R');
      rt.on('error', () => { throw new Error('listener'); });
      await rt.start();
      await until(() => rt.stats()[0].executions >= 3, 'it kept ticking');
      assert.equal(await within(rt.stop(), 2000), undefined, 'stop() resolves');
      const [s] = rt.stats();
      assert.equal(s.errors, s.executions);
      assert.equal(caught.length, s.errors);
    });
  });
});

describe('faults: stop() awaited inside a route', () => {
  it('mode 0: resolves; the outer stop() resolves after the route returned', async () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const rt: RTimer = new RTimer({ clock, routes: {
      async R() {
        await sleep(1);
        await rt.stop();
        log.push(`inside: ${rt.state}`);
        await sleep(5);
        log.push('returned');
      },
    } });
    rt.timer('name=t;interval=1').exec('timer=t;route=R');
    await rt.start();
    clock.advance(1n * S);
    await sleep(2);
    const outer = rt.stop().then(() => log.push(`outer: ${rt.state}`));
    assert.notEqual(await within(outer, 2000), TIMED_OUT, 'no deadlock');
    assert.deepEqual(log, ['inside: stopping', 'returned', 'outer: stopped']);
  });

  it('mode 0: from the synchronous part of a plain route returning a promise, and from two timers at once', async () => {
    const clock = new FakeClock();
    let inside = 0;
    const rt: RTimer = new RTimer({ clock, routes: {
      PLAIN() { return rt.stop().then(() => { inside++; }); },
      async ASYNC() { await sleep(1); await rt.stop(); inside++; },
    } });
    rt.timer('name=a;interval=1').exec('timer=a;route=PLAIN').timer('name=b;interval=1').exec('timer=b;route=ASYNC');
    await rt.start();
    clock.advance(1n * S);
    assert.notEqual(await within(rt.stop(), 2000), TIMED_OUT);
    assert.equal(inside, 2);
    assert.equal(rt.state, 'stopped');
  });

  it('inline: resolves once the other timers stopped; the state is then stopping, stopped after the route', async () => {
    let inside: string | undefined;
    let otherRunning = false;
    const rt: RTimer = new RTimer({ routes: {
      async R(_m, ctx) {
        if (ctx.tick < 3) return;
        await sleep(1);
        await rt.stop();
        inside = rt.state;
      },
      async SLOW() { otherRunning = true; await sleep(30); otherRunning = false; },
    } });
    rt.timer(inline('t')).exec('timer=t;route=R').timer(inline('u', '5ms')).exec('timer=u;route=SLOW');
    await rt.start();
    const deadline = Date.now() + 3000;
    while (inside === undefined && Date.now() < deadline) await sleep(10);
    assert.equal(inside, 'stopping');
    assert.equal(otherRunning, false, 'the other timer finished its route before stop() resolved inside');
    assert.notEqual(await within(rt.stop(), 2000), TIMED_OUT);
    assert.equal(rt.state, 'stopped');
  });
});

describe('faults: a route that never settles (stop grace)', () => {
  it('mode 0: stop() resolves after stopGraceMs, counts and reports the abandoned execution', async () => {
    const clock = new FakeClock();
    const rt = new RTimer({ clock, stopGraceMs: 50, routes: { OK() {}, HANG: () => new Promise(() => {}) } });
    rt.timer('name=t;interval=1').exec('timer=t;route=OK').exec('timer=t;route=HANG');
    const errors: (Error & { code?: string; timer?: string; route?: string })[] = [];
    rt.on('error', (e) => errors.push(e));
    await rt.start();
    clock.advance(1n * S);
    clock.advance(1n * S); // skipped: the first execution is still in flight
    const t0 = Date.now();
    assert.equal(await within(rt.stop(), 3000), undefined, 'stop() resolves');
    assert.ok(Date.now() - t0 >= 40, 'after the grace period');
    const [s] = rt.stats();
    assert.deepEqual([s.abandoned, s.executions, s.missed, s.ticks], [1, 1, 1, 2]);
    assert.deepEqual(errors.map((e) => [e.code, e.timer, e.route]), [['ERR_RTIMER_STOP_GRACE', 't', 'HANG']]);
    assert.match(errors[0].message, /route "HANG" of timer "t" was still running 50 ms after stop\(\)/);
  });

  it('inline: the same', async () => {
    const rt = new RTimer({ stopGraceMs: 50, routes: { HANG: () => new Promise(() => {}) } });
    rt.timer(inline('t')).exec('timer=t;route=HANG');
    const errors: (Error & { code?: string })[] = [];
    rt.on('error', (e) => errors.push(e));
    await rt.start();
    await until(() => rt.stats()[0].executions >= 1, 'the route ran');
    assert.equal(await within(rt.stop(), 3000), undefined, 'stop() resolves');
    assert.equal(rt.stats()[0].abandoned, 1);
    assert.deepEqual(errors.map((e) => e.code), ['ERR_RTIMER_STOP_GRACE']);
  });

  it('a route awaiting stop() while another hangs gets it resolved after the grace period', async () => {
    const clock = new FakeClock();
    let inside = false;
    const rt: RTimer = new RTimer({ clock, stopGraceMs: 50, routes: {
      HANG: () => new Promise(() => {}),
      async STOP() { await sleep(1); await rt.stop(); inside = true; },
    } });
    rt.timer('name=a;interval=1').exec('timer=a;route=HANG').timer('name=b;interval=1').exec('timer=b;route=STOP');
    rt.on('error', () => undefined);
    await rt.start();
    clock.advance(1n * S);
    assert.notEqual(await within(rt.stop(), 3000), TIMED_OUT);
    assert.equal(inside, true);
    assert.deepEqual(rt.stats().map((s) => s.abandoned), [1, 0]);
  });

  it('refuses a bad stopGraceMs naming it', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, '100', 2 ** 31]) {
      assert.throws(() => new RTimer({ stopGraceMs: bad as number }), (e: Error & { code?: string }) =>
        e.code === 'ERR_RTIMER_OPTION_INVALID' && /stopGraceMs/.test(e.message));
    }
  });
});

describe('faults: mode-0 intervals past Node\'s timer limit (2^31-1 ms)', () => {
  it('waits in long steps: no busy polling, no TimeoutOverflowWarning', async () => {
    let arms = 0;
    const counting: SchedulerClock = { ...realClock, setTimer: (ms, fn) => { arms++; return realClock.setTimer(ms, fn); } };
    const warnings: Error[] = [];
    const onWarning = (w: Error) => { warnings.push(w); };
    process.on('warning', onWarning);
    const rt = new RTimer({ clock: counting, routes: { R() {} } });
    rt.timer('name=t;interval=2592000').exec('timer=t;route=R'); // 30 days
    try {
      await rt.start();
      await sleep(100);
    } finally {
      await rt.stop();
      process.off('warning', onWarning);
    }
    assert.ok(arms <= 2, `${arms} wake-ups in 100 ms`);
    assert.deepEqual(warnings.filter((w) => w.name === 'TimeoutOverflowWarning'), []);
  });
});

describe('faults: RTimer start/stop races and what it hands out (review of issue 9)', function () {
  this.timeout(20000);
  // A routes module whose import takes a while (top-level await), unique per test so none is cached.
  let n = 0;
  const slowRoutes = (ms: number) => `data:text/javascript,await new Promise((r) => setTimeout(r, ${ms}));export function R() {} // ${n++}`;

  it('a start() retried from the rejection of a start() that stop() aborted rejects ERR_RTIMER_STOPPED; the RTimer stays stopped', async () => {
    const rt = new RTimer({ routes: slowRoutes(500) });
    rt.timer({ name: 't', interval: '10ms', mode: 'inline' }).exec({ timer: 't', route: 'R' });
    let retried: Promise<string | undefined> = Promise.resolve('not retried');
    const first = rt.start().then(() => 'resolved', (e: { code?: string }) => {
      retried = rt.start().then(() => 'resolved', (r: { code?: string }) => r.code);
      return e.code;
    });
    await sleep(50);
    await rt.stop();
    assert.equal(await first, 'ERR_RTIMER_STOPPED');
    assert.equal(await retried, 'ERR_RTIMER_STOPPED');
    assert.equal(rt.state, 'stopped');
    assert.equal(rt.stats().length, 0, 'no timer was armed');
  });

  it('stop() during a start route that never returns makes start() reject ERR_RTIMER_STOPPED', async () => {
    const rt = new RTimer({ routes: { S: () => new Promise(() => {}), T() {} }, stopGraceMs: 50 });
    rt.timer({ name: 'i', interval: '10ms', mode: 'inline' }).exec({ timer: 'i', route: 'S', on: 'start' }).exec('timer=i;route=T');
    rt.on('error', () => undefined);
    const starting = rt.start().then(() => 'resolved', (e: { code?: string }) => e.code);
    await sleep(50);
    await rt.stop();
    assert.equal(await starting, 'ERR_RTIMER_STOPPED');
    assert.equal(rt.state, 'stopped');
  });

  it('a start() that failed leaves the RTimer idle with its configuration open: fix it and start again', async () => {
    const clock = new FakeClock();
    const rt = new RTimer({ clock, routes: { R() {} } });
    rt.timer('name=t;interval=1').exec('timer=t;route=MISSING');
    await assert.rejects(rt.start(), (e: Error) => /MISSING/.test(e.message));
    assert.equal(rt.state, 'idle');
    assert.equal(rt.config.frozen, false);
    rt.timer('name=u;interval=1').exec('timer=u;route=R'); // threw ERR_RTIMER_RUNNING while the config stayed frozen
    await assert.rejects(rt.start(), (e: Error) => /MISSING/.test(e.message));
    const fixed = new RTimer({ clock, routes: { R() {} } });
    fixed.timer('name=t;interval=1').exec('timer=t;route=R');
    await fixed.start();
    assert.equal(fixed.config.frozen, true);
    await fixed.stop();
  });

  it('a failed start() does not thaw a configuration that came frozen', async () => {
    const config = new RTimer().config.timer('name=t;interval=1').exec('timer=t;route=MISSING').freeze();
    const rt = new RTimer({ config, clock: new FakeClock(), routes: { R() {} } });
    await assert.rejects(rt.start());
    assert.equal(config.frozen, true);
  });

  it('timers() after start() returns deep copies: changing them changes neither stats() nor timers()', async () => {
    const rt = new RTimer({ clock: new FakeClock(), routes: { R() {} } });
    rt.timer({ name: 't', interval: '100ms', mode: 'inline' }).exec({ timer: 't', route: 'R' });
    await rt.start();
    try {
      const t = rt.timers()[0];
      t.routes.push('NOPE');
      (t as { intervalUs: number }).intervalUs = 1000;
      (t as { name: string }).name = 'renamed';
      assert.equal(rt.stats()[0].intervalUs, 100000);
      assert.equal(rt.stats()[0].name, 't');
      assert.deepEqual(rt.timers()[0].routes, ['R']);
      assert.equal(rt.list()[0].name, 't');
    } finally {
      await rt.stop();
    }
  });

  it('stats() of many timers keeps declaration order without a quadratic sort', async () => {
    const count = 40_000;
    const rt = new RTimer({ clock: new FakeClock() });
    for (let i = 0; i < count; i++) rt.timer({ name: `t${i}`, interval: 1 });
    const timers = rt.timers();
    await rt.start();
    try {
      const t0 = performance.now();
      const stats = rt.stats();
      const took = performance.now() - t0;
      assert.deepEqual(stats.map((s) => s.name), timers.map((t) => t.name));
      // Quadratic took seconds here (733 ms at 20,000); an order of magnitude, not a bound.
      assert.ok(took < 1500, `stats() of ${count} timers took ${took.toFixed(0)} ms`);
    } finally {
      await rt.stop();
    }
  });
});

describe('faults: RTimer and its dedicated timers (review of issue 9)', function () {
  this.timeout(20000);
  afterEach(() => { for (const pid of workersOf(process.pid)) process.kill(pid, 'SIGKILL'); });
  let n = 0;
  const routes = (body: string) => `data:text/javascript,export function R() { ${body} } // ${n++}`;

  it('takes a snapshot of the supervisor options: changing the object after new RTimer() changes nothing', async () => {
    const supervisor: Record<string, unknown> = { backoffMs: 10 };
    const rt = new RTimer({ routes: routes(''), supervisor });
    rt.timer({ name: 't', interval: '100ms', mode: 1 }).exec({ timer: 't', route: 'R' });
    supervisor.startTimeoutMs = 'soon'; // checked when the workers start, if the object were kept
    supervisor.typo = true;
    try {
      await rt.start();
      assert.equal(rt.stats()[0].workers![0].state, 'running');
    } finally {
      await rt.stop();
    }
  });

  it('a mode=N timer failed past its restarts: the RTimer stays running, stats() and list() show the timer failed', async () => {
    const rt = new RTimer({ routes: routes('process.exit(3)'), supervisor: { maxRestarts: 0, backoffMs: 10 } });
    rt.timer({ name: 'dies', interval: '10ms', mode: 1 }).exec({ timer: 'dies', route: 'R' });
    rt.timer({ name: 'fine', interval: '100ms', mode: 'inline' });
    rt.on('error', () => undefined);
    let failed = false;
    rt.on('timer-failed', () => { failed = true; });
    try {
      await rt.start();
      assert.ok(await waitFor(() => failed, 5000), 'timer-failed');
      assert.equal(rt.state, 'running', 'other timers still run: the RTimer does');
      const [dies, fine] = rt.stats();
      assert.deepEqual([dies.state, dies.failed, fine.state], ['failed', true, 'running']);
      const listed = rt.list();
      assert.deepEqual(listed.map((t) => [t.name, t.state]), [['dies', 'failed'], ['fine', 'running']]);
      assert.equal(listed[0].nextDeadline, null);
      await assert.rejects(rt.pause('dies'), { code: 'ERR_RTIMER_NOT_RUNNING' });
    } finally {
      await rt.stop();
    }
  });
});
