import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import client from 'prom-client';
import { RTimer, rtimerCollector, type TimerStats } from '../lib/index.js';
import { FakeClock } from './support/fake-clock.js';
import { sleep } from './support/native.js';

// Issue 20 #11: every deadline is held by a counter. A loop that ended (here: its tick route returns
// -1 on its third tick) has no ticks; its deadlines count as idle, so ticks + idle = deadlines and
// executions + missed + paused = ticks, in stats(), list() and the metrics, in every mode.
const ROUTES = fileURLToPath(new URL('./fixtures/lifecycle/routes.mjs', import.meta.url));

function identities(s: TimerStats, rt: RTimer): void {
  assert.equal(s.executions + s.missed + s.paused, s.ticks, 'executions + missed + paused = ticks');
  assert.equal(s.executions, 3, 'the loop ran three ticks, then ended');
  assert.ok(s.idle > 0, 'deadlines after the end are counted as idle');
  const info = rt.list()[0].counters;
  assert.deepEqual([info.ticks, info.idle], [s.ticks, s.idle], 'list() says the same');
}

async function scrapeIdle(registry: client.Registry): Promise<number> {
  const m = /^rtimer_idle_total\{timer="t"[^}]*\} (\d+)$/m.exec(await registry.metrics());
  assert.ok(m, 'rtimer_idle_total is exported');
  return Number(m[1]);
}

describe('every deadline is counted: ticks + idle = deadlines (issue 20 #11)', function () {
  this.timeout(60_000);

  it('mode 0: exactly, on a fake clock', async () => {
    const clock = new FakeClock();
    const rt = new RTimer({ routes: ROUTES, clock });
    rt.timer({ name: 't', interval: 1 }).exec({ timer: 't', route: 'S', on: 'start' }).exec('timer=t;route=T3');
    rt.on('worker-message', () => undefined);
    const registry = new client.Registry();
    rtimerCollector(rt, { registry });
    await rt.start();
    for (let i = 0; i < 50; i++) clock.advance(1_000_000_000n);
    await sleep(20); // routes are called synchronously; their bookkeeping settles on the next turns
    await rt.stop();
    const [s] = rt.stats();
    identities(s, rt);
    assert.equal(s.ticks + s.idle, 50, `${s.ticks} ticks + ${s.idle} idle`);
    assert.equal(s.idle, 47);
    assert.equal(await scrapeIdle(registry), 47);
  });

  for (const mode of ['inline', 2] as const) {
    it(`mode ${mode}: the deadlines that passed while it ran, none lost`, async () => {
      const rt = new RTimer({ routes: ROUTES });
      rt.on('worker-message', () => undefined);
      const spec = mode === 'inline' ? { name: 't', interval: '10ms', mode } : { name: 't', interval: '10ms', mode };
      rt.timer(spec).exec({ timer: 't', route: 'S', on: 'start' }).exec('timer=t;route=T3');
      const registry = new client.Registry();
      rtimerCollector(rt, { registry });
      const t0 = process.hrtime.bigint();
      await rt.start();
      await sleep(400);
      await rt.stop();
      const elapsed = Number(process.hrtime.bigint() - t0) / 10e6; // upper bound on deadlines, per worker
      const [s] = rt.stats();
      const workers = mode === 'inline' ? 1 : mode;
      if (mode === 'inline') identities(s, rt);
      else {
        assert.equal(s.executions + s.missed + s.paused, s.ticks);
        assert.equal(s.executions, 3 * workers);
        for (const w of s.workers!) assert.ok(w.idle > 0, `worker ${w.worker}: ${w.idle} idle`);
        assert.equal(rt.list()[0].counters.idle, s.idle);
      }
      // Order of magnitude only: the machine is shared, but no deadline may vanish or be invented.
      const perWorker = (s.ticks + s.idle) / workers;
      assert.ok(perWorker <= elapsed + 1, `${perWorker} deadlines per worker in ${elapsed.toFixed(1)} intervals`);
      assert.ok(perWorker >= 10, `${perWorker} deadlines per worker: the idle ones are counted`);
      assert.equal(await scrapeIdle(registry), mode === 'inline' ? s.idle : s.workers![0].idle);
    });
  }
});
