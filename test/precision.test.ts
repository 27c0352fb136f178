import assert from 'node:assert/strict';
import type { RouteContext } from '../lib/index.js';
import { precisionSpin } from '../lib/schedule/precision.js';
import type { Execution } from '../lib/schedule/runtime.js';
import { runInline } from './support/native.js';

describe('precision mode at the route', () => {
  const original = precisionSpin.until;
  afterEach(() => { precisionSpin.until = original; });

  it('builds the route context before the spin and calls the route right after it', async () => {
    const events: { what: 'spin' | 'route'; tick: number; ctx: unknown; at?: bigint }[] = [];
    precisionSpin.until = (deadline: bigint, prepared: Execution) => {
      // The context the route will get already exists when the spin starts.
      events.push({ what: 'spin', tick: prepared.tick, ctx: prepared.first });
      const started = original(deadline, prepared);
      events[events.length - 1].at = started;
      return started;
    };
    const { seen, stats } = await runInline({ interval: '2ms', precision: { budget: 0.2 } },
      (ctx: RouteContext) => { events.push({ what: 'route', tick: ctx.tick, ctx }); }, 200);
    assert.ok(seen.length > 10, `executions ${seen.length}`);
    assert.equal(events.length, 2 * seen.length);
    for (let i = 0; i < events.length; i += 2) {
      const [spin, route] = [events[i], events[i + 1]];
      assert.deepEqual([spin.what, route.what], ['spin', 'route']);
      assert.equal(spin.tick, route.tick);
      assert.ok(spin.ctx instanceof Object, 'a context before the spin');
      assert.equal(route.ctx, spin.ctx, 'the route gets the context built before the spin');
      const ctx = route.ctx as RouteContext;
      assert.equal(ctx.started, spin.at, 'started is when the spin ended');
      assert.ok(ctx.started >= ctx.scheduled, 'never early');
    }
    // The engine learns the lateness and the lead from what the spin reported.
    assert.equal(stats.lateness.count, stats.executions);
    assert.ok(stats.native!.leadNs > 0);
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
