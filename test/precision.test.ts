import assert from 'node:assert/strict';
import { RTimer, type RouteContext } from '../lib/index.js';
import { precisionSpin } from '../lib/schedule/precision.js';
import { callingExecution } from '../lib/schedule/runtime.js';
import { runInline, sleep } from './support/native.js';

describe('precision mode at the route', () => {
  const original = precisionSpin.until;
  afterEach(() => { precisionSpin.until = original; });

  // The order is checked, never a timing: at the spin's start every counter, the context and the
  // calling execution are already set, and nothing the library keeps changes between the spin's
  // last clock read and the route's first line; that read is ctx.started, and stats() records it.
  for (const [label, spec] of [['precision mode', { precision: { budget: 0.2 } }], ['the default (early hand-over)', {}]] as const) {
    it(`${label}: everything before the spin, the route called on the line after it; stats() lateness is ctx.started`, async () => {
      interface Spun { ctx: unknown; at: bigint; before: string; running: boolean }
      const spins: Spun[] = [];
      const entries: { ctx: RouteContext; entry: bigint; state: string; spun: Spun | undefined }[] = [];
      let rt: RTimer | undefined;
      // What the library keeps about the timer, as a route could see it change.
      const state = () => {
        const s = rt!.stats()[0];
        return JSON.stringify([s.ticks, s.executions, s.missed, s.routeCalls, s.errors, s.lateness.count, s.duration.count]);
      };
      precisionSpin.until = (deadline: bigint, ctx: unknown) => {
        if (deadline === 0n) return original(deadline, ctx); // start()'s dry run (see the warm start test)
        const before = state();
        const running = callingExecution() !== undefined;
        const at = original(deadline, ctx);
        spins.push({ ctx, at, before, running });
        return at;
      };
      rt = new RTimer({ routes: { R(_m: string, ctx: RouteContext) {
        const entry = process.hrtime.bigint();
        entries.push({ ctx, entry, state: state(), spun: spins[spins.length - 1] });
      } } });
      rt.timer({ name: 't', mode: 'inline', interval: '2ms', ...spec }).exec('timer=t;route=R');
      await rt.start();
      await sleep(300);
      await rt.stop();
      precisionSpin.until = original;
      assert.ok(entries.length >= 3, `executions ${entries.length}`);
      assert.equal(spins.length, entries.length, 'one spin per route call');
      for (const { ctx, entry, state: atRoute, spun } of entries) {
        assert.ok(spun, 'a spin before every route');
        assert.equal(spun.ctx, ctx, 'the spin was for this route\'s context, built before it');
        assert.equal(spun.before, atRoute, 'no counter or histogram changes between the spin and the route');
        assert.ok(spun.running, 'the route\'s execution is entered before the spin');
        assert.equal(ctx.started, spun.at, 'ctx.started is the spin\'s last clock read');
        assert.ok(ctx.scheduled <= ctx.started && ctx.started <= entry, 'never early; started before the route\'s first line');
      }
      // stats() lateness is ctx.started - ctx.scheduled, recorded after the route.
      const s = rt.stats()[0];
      assert.equal(s.lateness.count, s.executions);
      const late = entries.map((e) => Number(e.ctx.started - e.ctx.scheduled));
      assert.equal(s.lateness.max, Math.max(...late));
      assert.equal(s.lateness.min, Math.min(...late));
      if ('precision' in spec) assert.ok(s.native!.leadNs > 0);
    });
  }

  it('warm start: start() runs every inline timer\'s tick path dry before the first deadline, counting nothing', async () => {
    const events: string[] = [];
    precisionSpin.until = (deadline: bigint, ctx: unknown) => {
      const c = ctx as RouteContext;
      events.push(deadline === 0n ? `dry ${c.timer} ${c.tick}` : `tick ${c.timer} ${c.tick}`);
      return original(deadline, ctx);
    };
    const rt = new RTimer({ routes: { R() {} } });
    for (const [name, spec] of [['a', {}], ['b', { precision: true }], ['c', {}]] as const) {
      rt.timer({ name, mode: 'inline', interval: '10ms', ...spec }).exec(`timer=${name};route=R`);
    }
    await rt.start();
    const atStart = events.length;
    await sleep(250);
    await rt.stop();
    precisionSpin.until = original;
    // Every timer's path ran dry before start() resolved, and before any tick.
    assert.ok(atStart > 0 && events.slice(0, atStart).every((e) => e.startsWith('dry ')), events.slice(0, 5).join());
    for (const name of ['a', 'b', 'c']) assert.ok(events.includes(`dry ${name} 0`), name);
    assert.ok(events.slice(atStart).some((e) => e.startsWith('tick ')));
    assert.ok(events.slice(atStart).every((e) => e.startsWith('tick ')), 'no dry run once armed');
    // Nothing counted, no faked id taken: the first route call gets the next id, the first tick is tick 1.
    for (const s of rt.stats()) assert.equal(s.executions + s.missed + s.paused, s.ticks);
  });

  it('builds the faked message on first access, still one fresh frozen message per route call', async () => {
    const { seen } = await runInline({ interval: '2ms', precision: true }, () => undefined, 100);
    assert.ok(seen.length > 3);
    const msgs = seen.map((c) => c.msg);
    msgs.slice(1).forEach((m, i) => assert.equal(m.id, msgs[i].id + 1));
    assert.equal(seen[0].msg, msgs[0], 'the same message on every access of one call');
    assert.ok(Object.isFrozen(msgs[0]) && msgs[0] !== msgs[1]);
  });
});
