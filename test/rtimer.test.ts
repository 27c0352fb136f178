import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RTimer, RTimerError, RTimerConfigError, FAKED_SIP_MSG, type RouteContext } from '../lib/index.js';
import { ErrorPrinter } from '../lib/error-printer.js';
import { FakeClock } from './support/fake-clock.js';
import { ROOT } from './support/run.js';

const S = 1_000_000_000n;
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('RTimer', () => {
  it('calls routes as route("rtimer", ctx) with the timer, tick, times and a faked OPTIONS message', async () => {
    const clock = new FakeClock();
    const seen: [string, RouteContext][] = [];
    const rt = new RTimer({ clock, routes: {
      A: (m, ctx) => { seen.push([m, ctx]); },
      B: (m, ctx) => { seen.push([m, ctx]); },
    } });
    rt.timer('name=ta;interval=1').exec('timer=ta;route=A').exec({ timer: 'TA', route: 'B' });
    await rt.start();
    clock.advance(2n * S);
    await rt.stop();
    assert.deepEqual(seen.map(([m, c]) => [m, c.timer, c.route, c.tick, c.worker]),
      [['rtimer', 'ta', 'A', 1, 0], ['rtimer', 'ta', 'B', 1, 0], ['rtimer', 'ta', 'A', 2, 0], ['rtimer', 'ta', 'B', 2, 0]]);
    const msgs = seen.map(([, c]) => c.msg);
    assert.equal(msgs[0].raw, FAKED_SIP_MSG);
    assert.match(FAKED_SIP_MSG, /^OPTIONS sip:kamailio\.org SIP\/2\.0\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1\r\n/);
    assert.deepEqual([msgs[0].method, msgs[0].ruri, msgs[0].callId, msgs[0].cseq, msgs[0].fromTag, msgs[0].pid],
      ['OPTIONS', 'sip:kamailio.org', 'aaa-bbb-ccc-ddd', '1 OPTIONS', 'xyz', process.pid]);
    assert.deepEqual(msgs[0].source, { ip: '127.0.0.1', port: 5060, proto: 'udp' });
    msgs.slice(1).forEach((m, i) => assert.equal(m.id, msgs[i].id + 1, 'id grows by one per route execution'));
    assert.notEqual(msgs[0], msgs[1]);
    assert.ok(Object.isFrozen(msgs[0]) && Object.isFrozen(msgs[0].source), 'a route cannot corrupt the message');
    try { (msgs[0] as { method: string }).method = 'INVITE'; } catch { /* strict mode throws */ }
    assert.equal(msgs[0].method, 'OPTIONS');
    assert.equal(typeof seen[0][1].scheduled, 'bigint');
    const [stats] = rt.stats();
    assert.deepEqual([stats.name, stats.ticks, stats.executions, stats.missed, stats.routeCalls], ['ta', 2, 2, 0, 4]);
  });

  it('loads routes from a module path or URL, including CommonJS exports', async () => {
    for (const routes of [fixture('routes.mjs'), new URL('./fixtures/routes.mjs', import.meta.url), fixture('routes.cjs')]) {
      const rt = new RTimer({ routes, clock: new FakeClock() });
      rt.timer('name=t;interval=1').exec('timer=t;route=ONTIMER');
      await rt.start();
      await rt.stop();
    }
    const rt = new RTimer({ routes: fixture('routes.cjs'), clock: new FakeClock() });
    rt.timer('name=t;interval=1').exec('timer=t;route=fromCjs');
    await rt.start();
    await rt.stop();
  });

  it('rejects start() naming the timer and route when a route is missing or not a function', async () => {
    for (const name of ['MISSING', 'notAFunction', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const rt = new RTimer({ routes: fixture('routes.mjs'), clock: new FakeClock() });
      rt.timer('name=TA;interval=1').exec(`timer=ta;route=${name}`);
      await assert.rejects(rt.start(), (err: RTimerError) =>
        err.code === 'ERR_RTIMER_ROUTE_MISSING' && err.message.includes(`route "${name}" of timer "TA"`));
      assert.equal(rt.state, 'idle');
    }
    const obj = new RTimer({ routes: Object.create({ inherited() {} }), clock: new FakeClock() });
    obj.timer('name=t;interval=1').exec('timer=t;route=inherited');
    await assert.rejects(obj.start(), { code: 'ERR_RTIMER_ROUTE_MISSING' });
  });

  it('rejects start() when the routes module cannot be loaded, naming it', async () => {
    for (const file of ['does-not-exist.mjs', 'broken-routes.mjs']) {
      const rt = new RTimer({ routes: fixture(file), clock: new FakeClock() });
      rt.timer('name=t;interval=1').exec('timer=t;route=ONTIMER');
      await assert.rejects(rt.start(), (err: RTimerError) => err.code === 'ERR_RTIMER_ROUTES_LOAD' && err.message.includes(file));
    }
    const none = new RTimer({ clock: new FakeClock() }).timer('name=t;interval=1').exec('timer=t;route=R');
    await assert.rejects(none.start(), { code: 'ERR_RTIMER_ROUTES_MISSING' });
  });

  it('rejects start() on a configuration error', async () => {
    const rt = new RTimer({ routes: {} }).exec('timer=nope;route=R');
    await assert.rejects(rt.start(), (err: unknown) => err instanceof RTimerConfigError && err.code === 'ERR_RTIMER_EXEC_TIMER_UNKNOWN');
  });

  it('refuses closures for a timer that needs a dedicated process, pointing to a routes module', async () => {
    const rt = new RTimer({ routes: { R() {} } }).timer('name=t;interval=10ms').exec('timer=t;route=R');
    await assert.rejects(rt.start(), (err: RTimerError) => err.code.startsWith('ERR_RTIMER_') && /mode=1/.test(err.message));
  });

  it('emits route errors with timer and route names and keeps ticking', async () => {
    const clock = new FakeClock();
    const rt = new RTimer({ clock, routes: { BAD() { throw new Error('no'); } } });
    rt.timer('name=t;interval=1').exec('timer=t;route=BAD');
    const errors: Error[] = [];
    rt.on('error', (e) => errors.push(e));
    await rt.start();
    clock.advance(3n * S);
    await rt.stop();
    assert.equal(errors.length, 3);
    assert.match(errors[0].message, /route "BAD" of timer "t" failed: no/);
    assert.equal(rt.stats()[0].errors, 3);
  });

  it('handles abuse: stop twice, stop before start, start twice, start after stop, changes while running', async () => {
    const idle = new RTimer();
    await idle.stop();
    await idle.stop();
    await assert.rejects(idle.start(), { code: 'ERR_RTIMER_STOPPED' });

    const clock = new FakeClock();
    const rt = new RTimer({ clock, routes: { R() {} } }).timer('name=t;interval=1').exec('timer=t;route=R');
    await Promise.all([rt.start(), rt.start()]);
    assert.throws(() => rt.timer('name=u'), { code: 'ERR_RTIMER_RUNNING' });
    assert.throws(() => rt.exec('timer=t;route=R'), { code: 'ERR_RTIMER_RUNNING' });
    await Promise.all([rt.stop(), rt.stop()]);
    await rt.stop();
    await assert.rejects(rt.start(), { code: 'ERR_RTIMER_STOPPED' });
    assert.throws(() => new RTimer(null as never), { code: 'ERR_RTIMER_OPTION_INVALID' });
  });

  it('refuses options that are not an object, a config that is not an RTimerConfig, and unknown keys, naming them', () => {
    for (const bad of [null, 5, 'x', []]) {
      assert.throws(() => new RTimer(bad as never), (e: Error & { code?: string }) =>
        e instanceof RTimerError && e.code === 'ERR_RTIMER_OPTION_INVALID' && /RTimer options must be an object/.test(e.message));
    }
    assert.throws(() => new RTimer({ config: {} as never }), (e: Error & { code?: string }) =>
      e.code === 'ERR_RTIMER_OPTION_INVALID' && /config must be an RTimerConfig/.test(e.message));
    for (const key of ['stopGrace', 'supervisr']) {
      assert.throws(() => new RTimer({ [key]: 1 } as never), (e: Error & { code?: string }) =>
        e.code === 'ERR_RTIMER_OPTION_INVALID' && e.message.includes(`"${key}"`) && /known: routes, .*supervisor/.test(e.message));
    }
  });

  it('holds supervisor.stopGraceMs to the stopGraceMs rule (whole ms), naming which one is wrong', () => {
    for (const options of [{ supervisor: { stopGraceMs: 1.5 } }, { stopGraceMs: 5, supervisor: { stopGraceMs: 1.5 } }]) {
      assert.throws(() => new RTimer(options), (e: Error & { code?: string }) =>
        e.code === 'ERR_RTIMER_OPTION_INVALID' && /^supervisor\.stopGraceMs must be a whole number/.test(e.message));
    }
    assert.throws(() => new RTimer({ stopGraceMs: 1.5, supervisor: { stopGraceMs: 5 } }), (e: Error & { code?: string }) =>
      e.code === 'ERR_RTIMER_OPTION_INVALID' && /^stopGraceMs must be a whole number/.test(e.message));
  });

  it('stop() during start() leaves nothing running', async () => {
    const clock = new FakeClock();
    const rt = new RTimer({ clock, routes: fixture('routes.mjs') }).timer('name=t;interval=1').exec('timer=t;route=ONTIMER');
    const started = rt.start();
    await rt.stop();
    await started.catch(() => undefined);
    assert.equal(clock.armed, null);
    assert.equal(rt.state, 'stopped');
  });

  it('accepts routes as a URL of any kind: FILE: in any case, data:, a URL object of another implementation', async () => {
    const href = new URL('./fixtures/routes.mjs', import.meta.url).href;
    const urlLike = { href, protocol: 'file:', toString: () => href } as unknown as URL;
    for (const routes of [href.replace(/^file:/, 'FILE:'), urlLike, 'data:text/javascript,export function ONTIMER() {}']) {
      const rt = new RTimer({ routes, clock: new FakeClock() });
      rt.timer('name=t;interval=1').exec('timer=t;route=ONTIMER');
      await rt.start();
      await rt.stop();
    }
  });

  it('says a relative routes path is taken from the working directory, and how to name a file next to yours', async () => {
    const rt = new RTimer({ routes: './no-such-routes.mjs', clock: new FakeClock() });
    rt.timer('name=t;interval=1').exec('timer=t;route=R');
    await assert.rejects(rt.start(), (err: RTimerError) => err.code === 'ERR_RTIMER_ROUTES_LOAD' &&
      err.message.includes(join(process.cwd(), 'no-such-routes.mjs')) && err.message.includes("new URL('./routes.mjs', import.meta.url)"));
  });

  it('stats() and timers() keep the timers resolved at start(), whatever is done to config later', async () => {
    const clock = new FakeClock();
    const rt = new RTimer({ clock, routes: { R() {} } }).timer('name=t;interval=1').exec('timer=t;route=R');
    await rt.start();
    try { rt.config.exec('timer=nope;route=R'); } catch { /* refused once started */ }
    try { rt.config.timer('name=late;interval=1'); } catch { /* refused once started */ }
    clock.advance(1n * S);
    assert.deepEqual(rt.stats().map((s) => [s.name, s.executions]), [['t', 1]]);
    assert.deepEqual(rt.timers().map((t) => t.name), ['t']);
    await rt.stop();
    assert.deepEqual(rt.stats().map((s) => s.name), ['t']);
  });

  it('types its events: listeners get typed payloads, unknown events and wrong payloads do not compile', async function () {
    this.timeout(30_000);
    const tsc = join(ROOT, 'node_modules/.bin/tsc');
    const args = ['--ignoreConfig', '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--types', 'node', '--skipLibCheck', fixture('typed-events.ts')];
    const r = await promisify(execFile)(tsc, args, { cwd: ROOT }).then(() => ({ out: '' }), (e: { stdout: string }) => ({ out: e.stdout || String(e) }));
    assert.equal(r.out, '');
  });

  it('lists resolved timers', () => {
    const rt = new RTimer({ defaultInterval: 30 }).timer('name=a').exec('timer=a;route=X');
    assert.deepEqual(rt.timers().map((t) => [t.name, t.interval, t.routes]), [['a', 30, ['X']]]);
  });
});

describe('ErrorPrinter', () => {
  it('prints at most one route error a second and counts the rest', () => {
    let t = 0;
    const lines: string[] = [];
    const p = new ErrorPrinter((l) => lines.push(l), () => t);
    for (let i = 0; i < 100; i++) { p.print(new Error(`e${i}`)); t += 50; }
    assert.equal(lines.length, 5);
    assert.equal(lines[0], 'rtimer: e0\n');
    assert.equal(lines[1], 'rtimer: e20 (19 more route errors suppressed)\n');
  });

  it('prints anything, never throws, even when writing fails', () => {
    let t = 0;
    const lines: string[] = [];
    const p = new ErrorPrinter((l) => lines.push(l), () => t);
    const hostile = Object.defineProperty(new Error(), 'message', { get() { throw new Error('trap'); } });
    for (const e of [hostile, Object.create(null), { message: Symbol('s') }]) { p.print(e); t += 1000; }
    assert.equal(lines.length, 3);
    for (const l of lines) assert.match(l, /^rtimer: .+\n$/);
    assert.doesNotThrow(() => new ErrorPrinter(() => { throw new Error('EPIPE'); }).print(new Error('x')));
  });
});
