import assert from 'node:assert/strict';
import { capabilities, RTimer, type RouteContext } from '../lib/index.js';
import { binding } from '../lib/native/binding.js';
import { TimerRuntime } from '../lib/schedule/runtime.js';
import { sleep } from './support/native.js';

const onLinux = capabilities().wait === 'timerfd';
const hrtime = process.hrtime.bigint;

/** 200 inline timers of 5 ms, all due at once (one start() anchors them together). */
async function inPhase(routes: Record<string, (m: string, ctx: RouteContext) => unknown>, ms: number, names = 200) {
  const rt = new RTimer({ routes });
  for (let i = 0; i < names; i++) rt.timer({ name: `t${i}`, interval: '5ms', mode: 'inline' }).exec(`timer=t${i};route=${i === 0 ? 'FIRST' : 'R'}`);
  await rt.start();
  await sleep(ms);
  await rt.stop();
  return rt;
}

describe('event loop: ticks handed over ahead of their deadline, in two passes', () => {
  before(function () { if (!onLinux) this.skip(); });

  const original = TimerRuntime.prototype.prepare;
  afterEach(() => { TimerRuntime.prototype.prepare = original; });

  it('never starts a route before its deadline: started, and the route\'s own first line, are at or after scheduled', async () => {
    const early: string[] = [];
    let calls = 0;
    const check = (_m: string, ctx: RouteContext) => {
      const now = hrtime();
      calls++;
      if (now < ctx.scheduled || ctx.started < ctx.scheduled) early.push(`${ctx.timer} tick ${ctx.tick}: ${ctx.scheduled - now} ns early`);
    };
    const rt = await inPhase({ FIRST: check, R: check }, 300);
    assert.ok(calls > 200 * 20, `calls ${calls}`);
    assert.deepEqual(early, []);
    for (const s of rt.stats()) assert.equal(s.executions + s.missed + s.paused, s.ticks, s.name);
  });

  it('builds every context of a batch before the batch\'s first route runs (order checked, not timed)', async () => {
    const events: string[] = [];
    TimerRuntime.prototype.prepare = function (this: TimerRuntime, tick: number, scheduled: bigint) {
      events.push(`prepare ${scheduled}`);
      return original.call(this, tick, scheduled);
    };
    const log = (_m: string, ctx: RouteContext) => { events.push(`route ${ctx.scheduled}`); };
    await inPhase({ FIRST: log, R: log }, 100, 50);
    TimerRuntime.prototype.prepare = original;
    // Per deadline: 50 prepares, then 50 routes (every timer shares each deadline).
    const byDeadline = new Map<string, string[]>();
    for (const e of events) {
      const [what, at] = e.split(' ');
      byDeadline.set(at, [...(byDeadline.get(at) ?? []), what]);
    }
    assert.ok(byDeadline.size >= 5, `${byDeadline.size} deadlines`);
    for (const [at, seq] of byDeadline) {
      if (seq.length !== 100) continue; // the last deadline may be cut by stop()
      assert.deepEqual(seq, [...Array(50).fill('prepare'), ...Array(50).fill('route')], `deadline ${at}`);
    }
  });

  it('a route that pauses timers due later in the same batch: their prepared ticks count as paused, their routes do not run', async () => {
    const n = 50;
    const events: string[] = [];
    const rt: RTimer = new RTimer({
      routes: {
        FIRST: (_m: string, ctx: RouteContext) => {
          events.push(`FIRST ${ctx.tick}`);
          if (ctx.tick === 3) for (let i = 1; i < n; i++) void rt.pause(`t${i}`); // pause acts at once
        },
        R: (_m: string, ctx: RouteContext) => { events.push(`R ${ctx.tick}`); },
      },
    });
    for (let i = 0; i < n; i++) rt.timer({ name: `t${i}`, interval: '5ms', mode: 'inline' }).exec(`timer=t${i};route=${i === 0 ? 'FIRST' : 'R'}`);
    await rt.start();
    await sleep(60);
    await rt.stop();
    const at = events.indexOf('FIRST 3');
    assert.ok(at >= 0, 'the pausing route ran');
    const before = events.slice(0, at).filter((e) => e === 'R 3').length;
    const after = events.slice(at).filter((e) => e.startsWith('R ')).length;
    assert.equal(after, 0, 'no paused timer ran after the route that paused it');
    assert.ok(before < n - 1, `${before} of the ${n - 1} others ran before it: none was left to pause in that batch`);
    for (const s of rt.stats()) assert.equal(s.executions + s.missed + s.paused, s.ticks, s.name);
    assert.ok(rt.stats().filter((s) => s.name !== 't0').every((s) => s.paused > 0));
  });

  it('a plain dispatch function (the raw binding) gets its early ticks at their deadline too', async () => {
    const lateness: bigint[] = [];
    const t = new binding.NativeTimer({ name: 'raw', intervalNs: 2e6, wake: 'loop' }, (_tick, scheduled, started) => {
      lateness.push(hrtime() - scheduled, started - scheduled);
      return false;
    });
    t.start();
    await sleep(100);
    await t.stop();
    assert.ok(lateness.length > 20);
    assert.ok(lateness.every((l) => l >= 0n), 'never before the deadline');
  });
});
