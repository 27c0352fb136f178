import assert from 'node:assert/strict';
import { RTimer, RTimerError } from '../lib/index.js';
import { CLI, runNode } from './support/run.js';

/** The warnings process.emitWarning sent while `fn` ran (and one turn after: they are emitted on nextTick). */
async function warningsOf(fn: () => unknown): Promise<{ code?: string; message: string }[]> {
  const seen: { code?: string; message: string }[] = [];
  const on = (w: Error & { code?: string }) => { if (w.name === 'RTimerWarning') seen.push({ code: w.code, message: w.message }); };
  process.on('warning', on);
  try {
    await fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', on);
  }
  return seen;
}

// Issue 20: what a newcomer meets in the first hour.
describe('first hour: silent mistakes warn once (issue 20 #7)', () => {
  it('start() twice, a timer with no exec, no timers at all, stats() before start(): one warning each, with a code', async () => {
    const rt = new RTimer({ routes: { R() {} } });
    rt.timer({ name: 'lonely', interval: '10ms', mode: 'inline' });
    rt.timer({ name: 'busy', interval: '10ms', mode: 'inline' }).exec('timer=busy;route=R');
    const w = await warningsOf(async () => {
      rt.stats();
      rt.stats();
      rt.list(); // list() is not stats(): no second warning from it either
      await rt.start();
      await rt.start();
      await rt.start();
      await rt.stop();
    });
    assert.deepEqual(w.map((x) => x.code), ['RTIMER_STATS_BEFORE_START', 'RTIMER_TIMER_NO_EXEC', 'RTIMER_START_TWICE']);
    assert.match(w[1].message, /timer "lonely" has no exec/);
    const empty = new RTimer();
    const w2 = await warningsOf(async () => { await empty.start(); await empty.stop(); });
    assert.deepEqual(w2.map((x) => x.code), ['RTIMER_NO_TIMERS']);
  });

  it('a correct program warns about nothing', async () => {
    const rt = new RTimer({ routes: { R() {} } });
    rt.timer({ name: 'ok', interval: '10ms', mode: 'inline' }).exec('timer=ok;route=R');
    const w = await warningsOf(async () => { await rt.start(); rt.stats(); rt.list(); await rt.stop(); rt.stats(); });
    assert.deepEqual(w, []);
  });
});

describe('first hour: names (issue 20 #8, #9, #12)', () => {
  it('timer names are case-insensitive in every verb; resume and continue are one; nextRun() gives a Date', async () => {
    const rt = new RTimer({ routes: { R() {} } });
    rt.timer({ name: 'Media', interval: '20ms', mode: 'inline' }).exec('timer=media;route=R');
    await rt.start();
    try {
      const next = rt.nextRun('MEDIA');
      assert.ok(next instanceof Date);
      assert.ok(Math.abs(next.getTime() - Date.now()) < 60_000, `${next.toISOString()} is about now`);
      await rt.pause('media');
      assert.equal(rt.list()[0].state, 'paused');
      assert.equal(rt.nextRun('media'), null, 'a paused timer has no next run');
      await rt.continue('MEDIA');
      assert.equal(rt.list()[0].state, 'running');
      await rt.pause('Media');
      await rt.resume('media');
      await rt.trigger('media', 'TICK' as 'tick');
      assert.equal(rt.stats()[0].triggered, 1);
      await assert.rejects(rt.pause('medai'), (e: RTimerError) => e.code === 'ERR_RTIMER_TIMER_UNKNOWN' && /"medai" \(did you mean "Media"\?\)/.test(e.message));
      await assert.rejects(rt.trigger('media', 'tikc' as 'tick'), /unknown trigger verb "tikc" \(did you mean "tick"\?\)/);
      assert.throws(() => rt.nextRun('nope'), (e: RTimerError) => e.code === 'ERR_RTIMER_TIMER_UNKNOWN');
    } finally {
      await rt.stop();
    }
  });

  it('an unknown route suggests the nearest exported one', async () => {
    const rt = new RTimer({ routes: { ONTIMER() {}, OTHER() {} } });
    rt.timer({ name: 't', interval: '10ms', mode: 'inline' }).exec('timer=t;route=ONTIMR');
    await assert.rejects(rt.start(), /route "ONTIMR" of timer "t" \(did you mean "ONTIMER"\?\) not found/);
    const far = new RTimer({ routes: { ONTIMER() {} } });
    far.timer({ name: 't', interval: '10ms', mode: 'inline' }).exec('timer=t;route=XYZ');
    await assert.rejects(far.start(), (e: Error) => /route "XYZ" of timer "t" not found/.test(e.message) && !/did you mean/.test(e.message));
  });

  it('CLI: an unknown command or flag suggests the nearest, in one line and a pointer to --help', async () => {
    const cmd = await runNode([CLI, 'chek', 'x.cfg']);
    assert.equal(cmd.code, 2);
    assert.equal(cmd.stderr, 'rtimer: unknown command "chek" (did you mean "check"?)\nsee rtimer --help\n');
    const flag = await runNode([CLI, 'run', 'x.cfg', '--routes', 'r.mjs', '--durration', '1s']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^rtimer: Unknown option '--durration'.*\(did you mean "--duration"\?\)\nsee rtimer --help\n$/);
  });
});

describe('first hour: mode=N with a relative routes path (issue 20 #10)', () => {
  it('a module the workers cannot load: the error says where the path was looked for, and how to name a file next to yours', async function () {
    this.timeout(30_000);
    const rt = new RTimer({ routes: './no-such-dir/routes.mjs' });
    rt.timer('name=media;mode=1;interval=20000u').exec('timer=media;route=MEDIA');
    await assert.rejects(rt.start(), (e: RTimerError) => e.code === 'ERR_RTIMER_ROUTES_LOAD'
      && e.message.includes(`a relative path is taken from the working directory, here ${process.cwd()}/no-such-dir/routes.mjs`)
      && e.message.includes("new URL('./routes.mjs', import.meta.url)"));
    await rt.stop();
  });
});
