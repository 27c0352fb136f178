// Findings of the review of issue 10's engine change, each reproduced.
import assert from 'node:assert/strict';
import { RTimer, type RouteContext } from '../../lib/index.js';
import { TimerRuntime } from '../../lib/schedule/runtime.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hrtime = process.hrtime.bigint;

describe('faults: review of issue 10 (engine)', function () {
  this.timeout(30000);

  it('stop() settles when the last timer closes the event loop\'s scheduler with catch-up ticks still queued', async () => {
    // burst timers of 100 µs with 250 µs routes always owe a catch-up: stopping them leaves queued ones.
    const spin = () => { const end = hrtime() + 250_000n; while (hrtime() < end) { /* a slow route */ } };
    for (let trial = 0; trial < 5; trial++) {
      const rt = new RTimer({ routes: { S: spin } });
      for (let i = 0; i < 3; i++) rt.timer({ name: `t${i}`, interval: '100us', mode: 'inline', policy: 'burst' }).exec(`timer=t${i};route=S`);
      await rt.start();
      await sleep(30 + 5 * trial);
      const settled = await Promise.race([rt.stop().then(() => true), sleep(3000).then(() => false)]);
      assert.ok(settled, `stop() did not settle (trial ${trial})`);
      for (const s of rt.stats()) assert.equal(s.executions + s.missed + s.paused, s.ticks, s.name);
    }
  });

  it('stop() from work a sync route left behind waits for the next tick\'s async route (its execution is not reused)', async () => {
    let inRoute = false;
    let resolvedDuringRoute: boolean | null = null;
    let rt: RTimer;
    const routes = {
      R: (_m: string, ctx: RouteContext) => {
        if (ctx.tick === 1) return Promise.resolve(); // one promise: executions now run in AsyncLocalStorage
        if (ctx.tick === 2) {
          // Sync; the timeout keeps tick 2's execution as its store.
          setTimeout(() => { void rt.stop().then(() => { resolvedDuringRoute = inRoute; }); }, 15);
          return undefined;
        }
        if (ctx.tick === 3) { // async, in flight for 60 ms
          inRoute = true;
          return new Promise<void>((r) => setTimeout(() => { inRoute = false; r(); }, 60));
        }
        return undefined;
      },
    };
    rt = new RTimer({ routes });
    rt.timer({ name: 't', interval: '10ms', mode: 'inline' }).exec('timer=t;route=R');
    await rt.start();
    await sleep(200);
    await rt.stop();
    assert.equal(resolvedDuringRoute, false, 'stop() resolved while tick 3\'s route was running');
  });

  it('one stall while a batch is prepared does not keep the event loop spinning afterwards', async () => {
    const original = TimerRuntime.prototype.prepare;
    let n = 0;
    TimerRuntime.prototype.prepare = function (this: TimerRuntime, tick: number, scheduled: bigint) {
      if (++n === 10) { const end = hrtime() + 30_000_000n; while (hrtime() < end) { /* a 30 ms stall, as a major GC */ } }
      return original.call(this, tick, scheduled);
    };
    try {
      const rt = new RTimer({ routes: { S: () => undefined } });
      rt.timer({ name: 't', interval: '20ms', mode: 'inline' }).exec('timer=t;route=S');
      await rt.start();
      await sleep(500);
      const c0 = process.cpuUsage();
      const t0 = hrtime();
      await sleep(1000);
      const c = process.cpuUsage(c0);
      const share = (c.user + c.system) * 1000 / Number(hrtime() - t0);
      await rt.stop();
      // An order of magnitude: a 20 ms timer takes ~1% of a core; spinning ms per tick took ~10%.
      assert.ok(share < 0.05, `cpu ${(share * 100).toFixed(1)}% of a core after the stall`);
    } finally {
      TimerRuntime.prototype.prepare = original;
    }
  });

  it('faked message ids grow by one per route run, also when a prepared tick of the batch is then paused', async () => {
    const ids: number[] = [];
    let paused = false;
    const rt: RTimer = new RTimer({
      routes: {
        FIRST: (_m: string, ctx: RouteContext) => {
          ids.push(ctx.msg.id);
          if (ctx.tick === 3 && !paused) { paused = true; for (let i = 1; i < 20; i++) void rt.pause(`t${i}`); }
        },
        R: (_m: string, ctx: RouteContext) => { ids.push(ctx.msg.id); },
      },
    });
    for (let i = 0; i < 20; i++) rt.timer({ name: `t${i}`, interval: '5ms', mode: 'inline' }).exec(`timer=t${i};route=${i === 0 ? 'FIRST' : 'R'}`);
    await rt.start();
    await sleep(60);
    await rt.stop();
    assert.ok(paused && ids.length > 40);
    ids.slice(1).forEach((id, i) => assert.equal(id, ids[i] + 1, `call ${i + 1}`));
  });
});
