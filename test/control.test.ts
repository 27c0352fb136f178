import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RTimer, type RouteContext, type TimerStateEvent } from '../lib/index.js';
import type { RTimerError } from '../lib/errors.js';
import { ctl, runCtl } from '../lib/ctl/index.js';
import type { TimerInfo } from '../lib/ctl/types.js';
import { FakeClock } from './support/fake-clock.js';
import { sleep } from './support/native.js';
import { CLI, ROOT, runNode } from './support/run.js';

const S = 1_000_000_000n;
const FIXTURE = new URL('./fixtures/lifecycle/routes.mjs', import.meta.url).href;
const balanced = (rt: RTimer) => {
  for (const s of rt.stats()) assert.equal(s.executions + s.missed + s.paused, s.ticks, `${s.name}: ${JSON.stringify(s)}`);
};

describe('control verbs, mode 0 (issue 12)', () => {
  function setup() {
    const clock = new FakeClock();
    const log: { on: string; tick: number; scheduled: bigint; state: Record<string, unknown> }[] = [];
    const route = (_m: string, ctx: RouteContext) => { log.push({ on: ctx.on, tick: ctx.tick, scheduled: ctx.scheduled, state: ctx.state }); };
    const rt = new RTimer({ routes: { S: route, T: route, E: route, O: () => { others++; } }, clock });
    let others = 0;
    rt.timer({ name: 't', interval: 2, mode: 0 }).timer({ name: 'other', interval: 1, mode: 0 });
    rt.exec({ timer: 't', route: 'S', on: 'start' }).exec({ timer: 't', route: 'T' }).exec({ timer: 't', route: 'E', on: 'end' });
    rt.exec({ timer: 'other', route: 'O' });
    const events: TimerStateEvent[] = [];
    rt.on('timer-state', (e) => events.push(e));
    return { clock, rt, log, events, others: () => others };
  }

  it('pause runs no route and counts the ticks as paused; resume continues in phase', async () => {
    const { clock, rt, log, events, others } = setup();
    const t0 = clock.t;
    await rt.start();
    clock.advance(4n * S);
    await rt.pause('t');
    assert.equal(rt.list()[0].state, 'paused');
    const before = log.length;
    const othersBefore = others();
    clock.advance(6n * S);
    assert.equal(log.length, before, 'no route of t while paused');
    assert.equal(others() - othersBefore, 6, 'the other timer went on');
    await rt.resume('t');
    clock.advance(2n * S);
    const lastT = log.filter((l) => l.on === 'tick').at(-1)!;
    assert.equal((lastT.scheduled - t0) % (2n * S), 0n, 'still on the grid start + k*interval');
    await rt.stop();
    const s = rt.stats()[0];
    assert.deepEqual([s.ticks, s.executions, s.paused, s.missed], [6, 3, 3, 0]);
    balanced(rt);
    assert.deepEqual(events.filter((e) => e.timer === 't').map((e) => [e.timer, e.from, e.to, e.by]),
      [['t', 'running', 'paused', 'pause'], ['t', 'paused', 'running', 'resume'], ['t', 'running', 'ended', 'stop']]);
  });

  it('trigger start runs start again with a fresh state; loop resumes with the state kept; end runs end', async () => {
    const { clock, rt, log, events } = setup();
    await rt.start();
    clock.advance(2n * S);
    const first = log[0].state;
    await rt.trigger('t', 'end');
    assert.equal(rt.list()[0].state, 'ended');
    clock.advance(4n * S);
    await rt.trigger('t', 'loop');
    clock.advance(2n * S);
    assert.equal(log.filter((l) => l.on === 'tick').at(-1)!.state, first, 'loop keeps the state');
    await rt.trigger('t', 'start');
    clock.advance(2n * S);
    assert.deepEqual(log.map((l) => l.on), ['start', 'tick', 'end', 'tick', 'start', 'tick']);
    assert.notEqual(log.at(-1)!.state, first, 'start again gives a new state object');
    assert.deepEqual(events.filter((e) => e.timer === 't').map((e) => `${e.from}>${e.to}:${e.by}`), ['running>ended:end', 'ended>running:loop']);
    await rt.stop();
    balanced(rt);
    assert.equal(rt.stats()[0].ticks, 3, 'no ticks counted while ended');
  });

  it("trigger tick runs the tick routes once now, counted as triggered, not as a tick", async () => {
    const { clock, rt, log } = setup();
    await rt.start();
    await rt.trigger('t', 'tick');
    assert.deepEqual(log.map((l) => `${l.on}${l.tick}`), ['start0', 'tick0']);
    clock.advance(2n * S);
    await rt.stop();
    const s = rt.stats()[0];
    assert.deepEqual([s.triggered, s.executions, s.ticks], [1, 1, 1]);
    assert.equal(rt.list()[0].counters.triggered, 1);
  });

  it('unknown timers, unknown verbs and a timer set not running are RTimerErrors with a code', async () => {
    const { rt } = setup();
    await assert.rejects(rt.pause('t'), (e: RTimerError) => e.code === 'ERR_RTIMER_NOT_RUNNING');
    await rt.start();
    await assert.rejects(rt.pause('nope'), (e: RTimerError) => e.code === 'ERR_RTIMER_TIMER_UNKNOWN' && /"nope"/.test(e.message));
    await assert.rejects(rt.resume('nope'), (e: RTimerError) => e.code === 'ERR_RTIMER_TIMER_UNKNOWN');
    await assert.rejects(rt.trigger('nope', 'tick'), (e: RTimerError) => e.code === 'ERR_RTIMER_TIMER_UNKNOWN');
    await assert.rejects(rt.trigger('t', 'jump' as never), (e: RTimerError) => e.code === 'ERR_RTIMER_VERB_UNKNOWN' && /"jump"/.test(e.message));
    await rt.stop();
    await assert.rejects(rt.resume('t'), (e: RTimerError) => e.code === 'ERR_RTIMER_NOT_RUNNING');
  });

  it('list() gives state, mode, interval, next deadline and counters as plain JSON', async () => {
    const { clock, rt } = setup();
    await rt.start();
    clock.advance(3n * S);
    const before = Date.now();
    const [t] = rt.list();
    assert.deepEqual(JSON.parse(JSON.stringify(t)), t);
    assert.equal(t.name, 't');
    assert.equal(t.state, 'running');
    assert.equal(t.mode, 0);
    assert.equal(t.intervalUs, 2_000_000);
    assert.deepEqual(t.workers, []);
    // The fake clock is 1 s before t's next deadline.
    assert.ok(t.nextDeadline! > before + 500 && t.nextDeadline! < before + 5000, String(t.nextDeadline! - before));
    assert.deepEqual(t.counters, { ticks: 1, idle: 0, executions: 1, missed: 0, paused: 0, errors: 0, triggered: 0 });
    await rt.stop();
    assert.equal(rt.list()[0].state, 'stopped');
    assert.equal(rt.list()[0].nextDeadline, null);
  });
});

describe('control verbs, inline (issue 12)', () => {
  it('pause/resume/trigger on the native engine keep executions + missed + paused = ticks', async function () {
    this.timeout(10000);
    let calls = 0;
    const rt = new RTimer({ routes: { T: () => { calls++; } } });
    rt.timer({ name: 'i', interval: '5ms', mode: 'inline' }).exec('timer=i;route=T');
    const events: TimerStateEvent[] = [];
    rt.on('timer-state', (e) => events.push(e));
    await rt.start();
    await sleep(60);
    await rt.pause('i');
    const atPause = calls;
    await sleep(80);
    assert.equal(calls, atPause, 'no route while paused');
    assert.ok(rt.stats()[0].paused > 0);
    await rt.resume('i');
    await rt.trigger('i', 'tick');
    await rt.trigger('i', 'end');
    const atEnd = calls;
    await sleep(40);
    assert.equal(calls, atEnd, 'no route once ended');
    await rt.trigger('i', 'loop');
    await sleep(40);
    await rt.stop();
    assert.ok(calls > atEnd);
    const s = rt.stats()[0];
    assert.equal(s.triggered, 1);
    assert.equal(s.executions + s.triggered, calls);
    balanced(rt);
    assert.deepEqual(events.map((e) => e.by), ['pause', 'resume', 'end', 'loop', 'stop']);
  });
});

describe('control verbs, mode N (issue 12)', () => {
  it('pause, resume and the jumps reach every worker over IPC; counters balance', async function () {
    this.timeout(20000);
    const rt = new RTimer({ routes: FIXTURE, supervisor: { watchdogMs: 300, statsIntervalMs: 50 } });
    rt.timer({ name: 'w', interval: '10ms', mode: 2 });
    rt.exec({ timer: 'w', route: 'S', on: 'start' }).exec({ timer: 'w', route: 'T' }).exec({ timer: 'w', route: 'E', on: 'end' });
    const msgs: Record<string, unknown>[] = [];
    const events: TimerStateEvent[] = [];
    const problems: unknown[] = [];
    rt.on('worker-message', (e) => msgs.push(e.message as Record<string, unknown>));
    rt.on('timer-state', (e) => events.push(e));
    rt.on('worker-unresponsive', (e) => problems.push(e));
    rt.on('worker-exit', (e) => problems.push(e));
    await rt.start();
    await sleep(80);
    await rt.pause('w');
    let info = rt.list()[0];
    assert.equal(info.state, 'paused');
    assert.deepEqual(info.workers.map((w) => w.state), ['paused', 'paused']);
    const ticksAtPause = msgs.filter((m) => m.what === 'tick').length;
    await sleep(600); // twice the watchdog: paused workers still report
    assert.equal(msgs.filter((m) => m.what === 'tick').length, ticksAtPause, 'no route while paused');
    assert.deepEqual(problems, [], 'a paused worker still answers the watchdog');
    await rt.resume('w');
    await rt.trigger('w', 'tick');
    await rt.trigger('w', 'start');
    assert.equal(msgs.filter((m) => m.what === 'start').length, 4, 'start again on each worker');
    await rt.trigger('w', 'end');
    info = rt.list()[0];
    assert.equal(info.state, 'ended');
    await sleep(50);
    await rt.stop();
    const s = rt.stats()[0];
    assert.ok(s.paused > 0, JSON.stringify(s));
    assert.equal(s.triggered, 2);
    balanced(rt);
    for (const w of [0, 1]) {
      const mine = events.filter((e) => e.worker === w).map((e) => `${e.from}>${e.to}:${e.by}`);
      assert.deepEqual(mine, ['running>paused:pause', 'paused>running:resume', 'running>ended:end'], `worker ${w}`);
    }
    const ends = msgs.filter((m) => m.what === 'end');
    assert.equal(ends.length, 2, 'end ran by trigger, not again at stop');
  });
});

describe('a restarted worker of a paused timer (issue 17)', () => {
  it('starts paused: no route at all, start included, until resume; then its start route and ticks', async function () {
    this.timeout(30000);
    const rt = new RTimer({ routes: FIXTURE, supervisor: { statsIntervalMs: 50, backoffMs: 10 } });
    rt.timer({ name: 'w', interval: '10ms', mode: 1 });
    rt.exec({ timer: 'w', route: 'S', on: 'start' }).exec({ timer: 'w', route: 'T' }).exec({ timer: 'w', route: 'E', on: 'end' });
    const msgs: { pid: number; what: string }[] = [];
    rt.on('worker-message', (e) => msgs.push({ pid: e.pid, what: (e.message as { what: string }).what }));
    const restarted = new Promise<number>((r) => rt.once('worker-restart', (e) => r(e.pid!)));
    rt.on('error', () => {});
    await rt.start();
    await sleep(50);
    await rt.pause('w');
    const first = rt.list()[0].workers[0].pid!;
    process.kill(first, 'SIGKILL');
    const pid = await restarted;
    await sleep(500); // 50 ticks
    const fresh = () => msgs.filter((m) => m.pid === pid).map((m) => m.what);
    assert.deepEqual(fresh(), [], 'the new worker ran no route while paused');
    assert.equal(rt.list()[0].state, 'paused');
    assert.equal(rt.list()[0].workers[0].state, 'paused');
    await rt.resume('w');
    const t = Date.now();
    while (!fresh().includes('tick') && Date.now() - t < 10_000) await sleep(20);
    assert.deepEqual(fresh().slice(0, 2), ['start', 'tick'], 'once resumed: its start route, then ticks');
    assert.equal(rt.list()[0].state, 'running');
    await rt.stop();
    assert.equal(fresh().filter((w) => w === 'start').length, 1);
    assert.deepEqual(fresh().slice(-2), ['end', 'onWorkerStop']);
  });
});

describe('control socket on a real RTimer (issue 12)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'rtimer-ctl-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rt.listen() serves rtimer ctl; stop() closes the socket', async function () {
    this.timeout(10000);
    const rt = new RTimer({ routes: { T: () => {} } });
    rt.timer({ name: 'i', interval: '10ms', mode: 'inline' }).exec('timer=i;route=T');
    await rt.start();
    const server = await rt.listen({ path: join(dir, 'ctl.sock') });
    assert.equal(statSync(server.path).mode & 0o777, 0o600);
    const out = { stdout: '', stderr: '' };
    const io = { stdout: { write: (s: string) => { out.stdout += s; } }, stderr: { write: (s: string) => { out.stderr += s; } } };
    assert.equal(await runCtl([server.path, 'pause', 'i'], io), 0, out.stderr);
    assert.match(out.stdout, /\bi\s+paused\b/);
    const listed = await ctl(server.path, 'rtimer.list') as TimerInfo[];
    assert.equal(listed[0].state, 'paused');
    assert.equal(await runCtl([server.path, 'continue', 'i'], io), 0, out.stderr);
    assert.equal(await runCtl([server.path, 'trigger', 'i', 'tick'], io), 0, out.stderr);
    assert.equal(await runCtl([server.path, 'pause', 'nosuch'], io), 1);
    assert.match(out.stderr, /unknown timer "nosuch"/);
    await assert.rejects(ctl(server.path, 'rtimer.pause', ['nosuch']), (e: Error & { data?: { code?: string } }) => e.data?.code === 'ERR_RTIMER_TIMER_UNKNOWN');
    await rt.stop();
    assert.equal(existsSync(server.path), false);
    assert.equal(rt.stats()[0].triggered, 1);
  });

  it('rtimer run --ctl <socket>: rtimer ctl pauses and lists the running timers', async function () {
    this.timeout(30000);
    const cfg = join(dir, 'k.cfg');
    const routes = join(dir, 'routes.mjs');
    const sock = join(dir, 'run.sock');
    writeFileSync(cfg, 'loadmodule "ptimer.so" loadmodule "rtimer.so" modparam("ptimer", "timer", "name=p;interval=50ms;nworkers=1")\nmodparam("ptimer", "loop", "timer=p;route=L")\n' +
      'modparam("rtimer", "timer", "name=h;interval=1;mode=0")\nmodparam("rtimer", "exec", "timer=h;route=L")\n');
    writeFileSync(routes, 'export function L() {}\n');
    const child = spawn(process.execPath, [CLI, 'run', cfg, '--routes', routes, '--ctl', sock, '--duration', '20s'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      for (let i = 0; i < 200 && !/control socket/.test(stderr); i++) await sleep(50);
      assert.match(stderr, /control socket .*run\.sock/);
      const paused = await runNode([CLI, 'ctl', sock, 'pause', 'p']);
      assert.equal(paused.code, 0, paused.stderr);
      const listed = await runNode([CLI, 'ctl', sock, 'list', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const rows = JSON.parse(listed.stdout) as TimerInfo[];
      assert.deepEqual(rows.map((r) => [r.name, r.state]), [['p', 'paused'], ['h', 'running']]);
      const bad = await runNode([CLI, 'ctl', sock, 'end', 'nosuch']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /unknown timer "nosuch"/);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, stderr);
    assert.equal(existsSync(sock), false, 'the socket is removed at exit');
  });

  it('rtimer run --ctl is for run only', async () => {
    const r = await runNode([CLI, 'check', 'examples/kamailio.cfg', '--ctl', join(dir, 'x.sock')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--ctl is for run/);
  });
});

describe('control edge cases (issue 12)', () => {
  it('a route awaiting a verb on its own timer does not wait for itself', async function () {
    this.timeout(10000);
    let rt!: RTimer;
    const seen: string[] = [];
    rt = new RTimer({ routes: {
      S: () => { seen.push('start'); },
      T: async () => { seen.push('tick'); if (seen.length < 4) await rt.trigger('i', 'start'); else await rt.trigger('i', 'end'); },
      E: () => { seen.push('end'); },
    } });
    rt.timer({ name: 'i', interval: '10ms', mode: 'inline' });
    rt.exec({ timer: 'i', route: 'S', on: 'start' }).exec({ timer: 'i', route: 'T' }).exec({ timer: 'i', route: 'E', on: 'end' });
    await rt.start();
    for (let i = 0; i < 300 && !seen.includes('end'); i++) await sleep(10);
    await rt.stop();
    assert.deepEqual(seen, ['start', 'tick', 'start', 'tick', 'end']);
  });

  it('stop() does not wait past its grace for a start route that never returns', async function () {
    this.timeout(10000);
    const errors: Error[] = [];
    const rt = new RTimer({ routes: { S: () => new Promise(() => {}), T: () => {} }, stopGraceMs: 100 });
    rt.timer({ name: 'i', interval: '10ms', mode: 'inline' }).exec({ timer: 'i', route: 'S', on: 'start' }).exec('timer=i;route=T');
    rt.on('error', (e) => errors.push(e));
    const starting = rt.start();
    await sleep(50);
    const t = Date.now();
    await rt.stop();
    await assert.rejects(starting, { code: 'ERR_RTIMER_STOPPED' }); // stopped before every timer was armed
    assert.ok(Date.now() - t < 3000);
    assert.equal(rt.state, 'stopped');
    assert.ok(errors.some((e) => (e as RTimerError).code === 'ERR_RTIMER_STOP_GRACE' && /route "S"/.test(e.message)), errors.join());
  });

  it('one stopGraceMs bounds the whole stop(): a hung tick route, then a hung end route (mode 0 and inline; issue 17)', async function () {
    this.timeout(20_000);
    const GRACE = 3000;
    const hang = () => new Promise(() => {});
    const stopTime = async (mode: 0 | 'inline') => {
      const clock = new FakeClock();
      const errors: Error[] = [];
      let ticked = false;
      const rt = new RTimer({ routes: { T: () => { ticked = true; return hang(); }, E: hang }, stopGraceMs: GRACE, ...(mode === 0 ? { clock } : {}) });
      rt.timer({ name: 't', interval: mode === 0 ? 1 : '10ms', mode }).exec('timer=t;route=T').exec({ timer: 't', route: 'E', on: 'end' });
      rt.on('error', (e) => errors.push(e));
      await rt.start();
      if (mode === 0) clock.advance(S + 1n);
      while (!ticked) await sleep(5);
      const t = performance.now();
      await rt.stop();
      const ms = performance.now() - t;
      const abandoned = errors.filter((e) => (e as RTimerError).code === 'ERR_RTIMER_STOP_GRACE').map((e) => /route "(\w)"/.exec(e.message)?.[1]);
      assert.deepEqual(abandoned, ['T', 'E'], `${mode}: both hung routes are abandoned`);
      return ms;
    };
    const [zero, inline] = await Promise.all([stopTime(0), stopTime('inline')]);
    // Two grace periods would be 6 s; one is 3 s, with room for a loaded machine.
    assert.ok(zero < 1.5 * GRACE, `mode 0: stop() took ${zero.toFixed(0)} ms`);
    assert.ok(inline < 1.5 * GRACE, `inline: stop() took ${inline.toFixed(0)} ms`);
  });

  it('a control socket opened before start() is closed by stop()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtimer-ctl-'));
    try {
      const rt = new RTimer({ routes: { T: () => {} } });
      rt.timer({ name: 'i', interval: '10ms', mode: 'inline' }).exec('timer=i;route=T');
      const server = await rt.listen({ path: join(dir, 'c.sock') });
      const listed = await ctl(server.path, 'rtimer.list') as TimerInfo[];
      assert.deepEqual(listed.map((t) => [t.name, t.state]), [['i', 'stopped']]);
      await rt.stop();
      assert.equal(existsSync(server.path), false);
      await assert.rejects(rt.listen({ path: join(dir, 'd.sock') }), (e: RTimerError) => e.code === 'ERR_RTIMER_STOPPED');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('control messages over IPC are tagged and validated (issue 12)', () => {
  it('accepts well-formed control, state and control-done messages and refuses the rest', async () => {
    const { parseToWorker, parseFromWorker, TAG } = await import('../lib/process/protocol.js');
    assert.ok(parseToWorker({ rtimer: TAG, type: 'control', id: 1, verb: 'pause' }));
    for (const bad of [{ rtimer: TAG, type: 'control', id: 1, verb: 'SIGSTOP' }, { rtimer: TAG, type: 'control', id: -1, verb: 'tick' },
      { type: 'control', id: 1, verb: 'pause' }, { rtimer: TAG, type: 'control', verb: 'pause' }]) {
      assert.equal(parseToWorker(bad), null, JSON.stringify(bad));
    }
    const token = 'k';
    assert.ok(parseFromWorker({ rtimer: TAG, token, type: 'state', from: 'running', to: 'paused', by: 'pause' }, token));
    assert.ok(parseFromWorker({ rtimer: TAG, token, type: 'control-done', id: 3, state: 'ended' }, token));
    for (const bad of [{ rtimer: TAG, token, type: 'state', from: 'running', to: 'gone', by: 'pause' },
      { rtimer: TAG, token, type: 'state', from: 'running', to: 'paused', by: 'kill' },
      { rtimer: TAG, token, type: 'control-done', id: '3', state: 'ended' },
      { rtimer: TAG, token: 'other', type: 'control-done', id: 3, state: 'ended' }]) {
      assert.equal(parseFromWorker(bad, token), null, JSON.stringify(bad));
    }
  });
});

describe('control verbs to a busy worker (issue 12)', () => {
  it('a worker that does not answer in time fails the verb with ERR_RTIMER_CONTROL_TIMEOUT, not a hang', async function () {
    this.timeout(20000);
    const rt = new RTimer({ routes: FIXTURE, supervisor: { startTimeoutMs: 5000 } });
    rt.timer({ name: 'w', interval: '50ms', mode: 1 }).exec('timer=w;route=T');
    await rt.start();
    const fast = new RTimer({ routes: FIXTURE, supervisor: { startTimeoutMs: 1200, watchdogMs: 0 } });
    fast.timer({ name: 'b', interval: '1s', mode: 1 }).exec({ timer: 'b', route: 'BUSY' });
    try {
      await fast.start();
      await assert.rejects(fast.trigger('b', 'tick'), (e: RTimerError) => e.code === 'ERR_RTIMER_CONTROL_TIMEOUT' && /"tick"/.test(e.message));
      await rt.pause('w'); // the other timer's workers answer at once
      assert.equal(rt.list()[0].state, 'paused');
    } finally {
      await Promise.all([rt.stop(), fast.stop()]);
    }
  });
});

describe('control verbs in the metrics (issue 12)', () => {
  it('rtimer_timer_state and rtimer_paused_total follow pause()', async function () {
    this.timeout(10000);
    const { default: client } = await import('prom-client');
    const { rtimerCollector } = await import('../lib/index.js');
    const registry = new client.Registry();
    const rt = new RTimer({ routes: { T: () => {} } });
    rt.timer({ name: 'i', interval: '5ms', mode: 'inline' }).exec('timer=i;route=T');
    rtimerCollector(rt, { registry });
    await rt.start();
    try {
      await rt.pause('i');
      await sleep(60);
      const text = await registry.metrics();
      assert.match(text, /rtimer_timer_state\{timer="i",state="paused"\} 1/);
      const paused = Number(/rtimer_paused_total\{timer="i"\} (\d+)/.exec(text)?.[1]);
      assert.ok(paused > 0, text);
    } finally {
      await rt.stop();
    }
  });
});
